"""The notebook-style example in examples/ runs start to finish against the installed package."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_quickstart_example_runs(tmp_path) -> None:
    p = subprocess.run([sys.executable, str(REPO / "examples" / "python_quickstart.py")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "bafy" in p.stdout
