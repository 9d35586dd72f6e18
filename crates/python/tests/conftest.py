"""Shared helpers for the Python tests: the `ipfs-kit` binary, the interop peers (Helia's
importer, ipfs-car), a fixture tree, a writer-lock holder in another process.

The binary and the peers are required: a missing one fails the test that needs it with a
message saying how to get it, never a skip. Build the binary with `cargo build --release`
(or point IPFS_KIT_BIN at one); install the peers with `tests/interop/setup.sh`.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

import ipfs_kit

REPO = Path(__file__).resolve().parents[3]
INTEROP = REPO / "tests" / "interop"
HOSTILE = REPO / "tests" / "hostile"
GO_CAR = REPO / "tests" / "data" / "go-car"
KIT = Path(os.environ.get("IPFS_KIT_BIN", REPO / "target" / "release" / "ipfs-kit"))
IPFS_CAR = INTEROP / "node_modules" / ".bin" / "ipfs-car"

PROFILES = ("unixfs-v1-2025", "unixfs-v0-2015")


def _require(path: Path, how: str) -> None:
    if not path.exists():
        pytest.fail(f"{path} is missing: {how}", pytrace=False)


# ------------------------------------------------------------------ the CLI


def cli(home: Optional[os.PathLike], *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs `ipfs-kit [--home HOME] ARGS…` and returns the finished process (text mode)."""
    _require(KIT, "build it with `cargo build --release` or set IPFS_KIT_BIN")
    cmd = [str(KIT), "-q"]
    if home is not None:
        cmd += ["--home", os.fspath(home)]
    cmd += [str(a) for a in args]
    env = dict(os.environ)
    env.pop("IPFS_KIT_HOME", None)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def cli_lines(home: Optional[os.PathLike], *args: str) -> List[str]:
    return cli(home, *args).stdout.splitlines()


def cli_json_lines(home: Optional[os.PathLike], *args: str) -> List[dict]:
    return [json.loads(line) for line in cli_lines(home, *args) if line.startswith("{")]


def cli_error(home: Optional[os.PathLike], *args: str) -> str:
    """The one-line message of a CLI command that must fail, without its `ipfs-kit: ` prefix."""
    p = cli(home, *args, check=False)
    assert p.returncode != 0, f"ipfs-kit {args} unexpectedly succeeded: {p.stdout}"
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert lines, f"ipfs-kit {args} failed without a message"
    assert len(lines) == 1, f"ipfs-kit {args}: more than one line on stderr: {p.stderr!r}"
    return lines[0].removeprefix("ipfs-kit: ")


def cli_hash(path: os.PathLike, profile: str = "unixfs-v1-2025", hidden: bool = False) -> str:
    args = ["hash", "--profile", profile]
    if hidden:
        args.append("--hidden")
    return cli(None, *args, os.fspath(path)).stdout.strip()


# ------------------------------------------------------------------ peers


def helia_cids(paths: Sequence[os.PathLike], profile: str = "unixfs-v1-2025", hidden: bool = False) -> List[str]:
    """CIDs from @helia/unixfs (tests/interop/unixfs-oracle.mjs), one per path."""
    _require(INTEROP / "node_modules" / "@helia" / "unixfs", "run tests/interop/setup.sh")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: the Helia oracle needs it (tests/interop/setup.sh)", pytrace=False)
    spec = json.dumps({"profile": profile, "hidden": hidden})
    p = subprocess.run(
        ["node", "unixfs-oracle.mjs", spec, *[os.fspath(x) for x in paths]],
        cwd=INTEROP, capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 0, f"Helia oracle failed: {p.stderr}"
    cids = [json.loads(l)["cid"] for l in p.stdout.splitlines() if l.startswith("{")]
    assert len(cids) == len(paths), p.stdout
    return cids


def helia_cid(path: os.PathLike, profile: str = "unixfs-v1-2025", hidden: bool = False) -> str:
    return helia_cids([path], profile, hidden)[0]


def ipfs_car(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    _require(IPFS_CAR, "run tests/interop/setup.sh")
    p = subprocess.run([str(IPFS_CAR), *[str(a) for a in args]], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"ipfs-car {args} failed ({p.returncode}): {p.stderr.strip()}")
    return p


# ------------------------------------------------------------------ fixture trees

# Every 1 MiB chunk of `pattern_bytes` differs (the period is not a multiple of the chunk), so
# the blocks are distinct and nothing dedupes, while building them costs a copy, not a PRNG.
_PERIOD = (1 << 20) + 7


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base32_cid(text: str) -> str:
    """A CID as the API spells it: a base58btc multibase CID (``z…``, as the manifest and
    `bucket log` keep them) becomes base32 (``b…``); anything else is returned unchanged."""
    if not text.startswith("z"):
        return text
    digits = text[1:]
    n = 0
    for ch in digits:
        n = n * 58 + _B58.index(ch)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(digits) - len(digits.lstrip("1"))) + raw
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def pattern_bytes(size: int, seed: int) -> bytes:
    pat = random.Random(seed).randbytes(_PERIOD)
    reps = size // _PERIOD + 1
    return (pat * reps)[:size]


TREE_FILES: Dict[str, bytes] = {
    "a.txt": b"alpha\n",
    "empty.txt": b"",
    "big.bin": random.Random(7).randbytes(1_300_000),  # > 1 MiB: two chunks under v1, six under v0
    "sub/c.txt": b"charlie\n",
    "sub/d.bin": random.Random(8).randbytes(70_000),
    "sub/deep/e.txt": b"echo\n",
    "sub/deep/deeper/g.txt": b"golf\n",
    "unicod\u00e9-\u00e8\u65e5\u672c.txt": "unicod\u00e9 \u65e5\u672c\n".encode(),
    "\u00fcber/\u0444\u0430\u0439\u043b.txt": "\u0444\u0430\u0439\u043b\n".encode(),
    "with space.txt": b"space\n",
    "Z-upper.txt": b"zulu\n",
}
TREE_EMPTY_DIRS = ("emptydir", "sub/deep/also-empty")
TREE_HIDDEN = {".hidden": b"secret\n", "sub/.dotdir/x.txt": b"in a dot dir\n"}


def make_tree(root: Path, hidden: bool = True) -> Path:
    """Writes the fixture tree at `root` (nested folders, unicode names, an empty file, a file
    over 1 MiB, empty folders, and dot-files unless `hidden` is False) and returns `root`."""
    for rel, data in {**TREE_FILES, **(TREE_HIDDEN if hidden else {})}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for d in TREE_EMPTY_DIRS:
        (root / d).mkdir(parents=True, exist_ok=True)
    return root


def tree_files(top: str) -> Dict[str, bytes]:
    """The visible files of the fixture tree as a bucket lists them when the tree was added
    under the name `top`: {"top/rel": bytes}."""
    return {f"{top}/{rel}": data for rel, data in TREE_FILES.items()}


def read_tree(root: Path) -> Dict[str, bytes]:
    """{relative path: bytes} of every file under `root`."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The fixture tree at tmp_path/src/tree (with dot-files)."""
    return make_tree(tmp_path / "src" / "tree")


@pytest.fixture
def home_dir(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def home(home_dir: Path) -> ipfs_kit.Home:
    return ipfs_kit.Home(home_dir)


@pytest.fixture
def bucket(home: ipfs_kit.Home, tree: Path) -> ipfs_kit.Bucket:
    """A bucket `docs` holding the fixture tree under `tree/`."""
    b = home.create_bucket("docs")
    b.add(tree)
    return b


# ------------------------------------------------------------------ the writer lock


class LockHolder:
    """Another process holding a home's writer lock exactly as an `ipfs-kit` writer does: an OS
    file lock (flock) on `<home>/lock`, with its record (pid, host, since, command) in the file.
    `ipfs-kit unlock` reports it as a live holder."""

    SCRIPT = r"""
import fcntl, os, socket, sys, time
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX)
f.seek(0); f.truncate()
f.write("pid=%d\nhost=%s\nsince=%d\ncommand=pytest lock holder\n" % (os.getpid(), socket.gethostname(), time.time()))
f.flush()
print("locked", flush=True)
sys.stdin.read()
f.truncate(0)
"""

    def __init__(self, home: os.PathLike) -> None:
        self.path = Path(home) / "lock"
        self.proc: Optional[subprocess.Popen] = None

    def __enter__(self) -> "LockHolder":
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        line = self.proc.stdout.readline()
        assert line.strip() == "locked", f"lock holder did not start: {line!r}"
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def release(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)

    def __exit__(self, *exc) -> None:
        self.release()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ------------------------------------------------------------------ CAR corpora


@pytest.fixture(scope="session")
def hostile_cars(tmp_path_factory) -> Dict[str, dict]:
    """The hostile CAR corpus (tests/hostile/make_cars.py), written once per session:
    {case name: its cases.json record with `path` added}."""
    out = tmp_path_factory.mktemp("hostile")
    _require(HOSTILE / "make_cars.py", "tests/hostile/make_cars.py is part of the repository")
    subprocess.run([sys.executable, str(HOSTILE / "make_cars.py"), str(out)], check=True, capture_output=True)
    cases = json.loads((out / "cases.json").read_text())
    return {c["file"].removesuffix(".car"): {**c, "path": out / c["file"]} for c in cases}


def entry_tuple(e: ipfs_kit.FileEntry) -> tuple:
    return (e.path, e.type, e.cid, e.size, e.dag_size, e.mtime, e.mode, e.content_hash, e.added_at, e.version)


def cli_entry_tuple(d: dict) -> tuple:
    return (d["path"], d["type"], d["cid"], d["size"], d["dag_size"], d["mtime"], d["mode"], d["content_hash"],
            d["added_at"], d["version"])

