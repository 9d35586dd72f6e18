"""The CLI and Python on one home: each sees what the other wrote, and they share the writer lock."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

import ipfs_kit
from conftest import KIT, TREE_FILES, LockHolder, cli, cli_json_lines, cli_lines


def test_bucket_made_by_the_cli_is_seen_by_python(home_dir: Path, tree: Path) -> None:
    cli(home_dir, "bucket", "create", "fromcli")
    cli(home_dir, "bucket", "add", "fromcli", tree)
    home = ipfs_kit.Home(home_dir)
    (info,) = home.buckets()
    (cli_info,) = json.loads(cli(home_dir, "bucket", "list", "--json").stdout)
    assert (info.name, info.root, info.profile, info.files, info.version) == (
        cli_info["name"], cli_info["root"], cli_info["profile"], cli_info["files"], cli_info["version"])
    b = home.bucket("fromcli")
    assert b.cat("tree/big.bin") == TREE_FILES["big.bin"]
    assert {e.path for e in b.files()} == {d["path"] for d in cli_json_lines(home_dir, "bucket", "files", "fromcli", "--json")}

    # A snapshot taken by the CLI is one Python lists, and the other way round.
    cli(home_dir, "bucket", "snapshot", "-m", "by the cli")
    (s,) = home.snapshots()
    assert s.message == "by the cli" and s.buckets == {"fromcli": b.root}
    b.rm("tree/a.txt")
    s2 = home.snapshot("by python")
    listed = json.loads(cli(home_dir, "bucket", "snapshots", "--json").stdout)
    assert [x["snapshot_id"] for x in listed] == [s.id, s2.id]
    assert [x["message"] for x in listed] == ["by the cli", "by python"]
    assert [x.id for x in home.snapshots()] == [s.id, s2.id]
    assert s2.parent is not None and s2.sequence == 2


def test_bucket_made_by_python_is_seen_by_the_cli(home: ipfs_kit.Home, tree: Path, tmp_path: Path) -> None:
    b = home.create_bucket("frompy", profile="unixfs-v0-2015")
    b.add(tree, to="deep/er")
    (cli_info,) = json.loads(cli(home.path, "bucket", "list", "--json").stdout)
    assert (cli_info["name"], cli_info["root"], cli_info["profile"]) == ("frompy", b.root, "unixfs-v0-2015")
    assert cli(home.path, "bucket", "cat", "frompy", "deep/er/tree/sub/c.txt").stdout == "charlie\n"
    out = tmp_path / "cli-get"
    cli(home.path, "bucket", "get", "frompy", "deep/er/tree", "-o", out)
    assert (out / "big.bin").read_bytes() == TREE_FILES["big.bin"]
    assert cli(home.path, "check").returncode == 0
    # The CLI's change is seen by the same `Home` object afterwards (every call opens afresh).
    cli(home.path, "bucket", "rm-file", "frompy", "deep/er/tree/a.txt")
    with pytest.raises(ipfs_kit.NotFound):
        b.stat("deep/er/tree/a.txt")


def test_env_home_is_used_when_no_path_is_given(home_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("IPFS_KIT_HOME", str(home_dir))
    ipfs_kit.Home().create_bucket("viaenv")
    assert Path(ipfs_kit.Home().path) == home_dir
    assert [b["name"] for b in json.loads(cli(home_dir, "bucket", "list", "--json").stdout)] == ["viaenv"]


def test_a_held_lock_raises_locked_after_the_timeout(home_dir: Path, tree: Path) -> None:
    home = ipfs_kit.Home(home_dir, lock_timeout=0.5)
    b = home.create_bucket("docs")
    with LockHolder(home_dir) as holder:
        # `ipfs-kit unlock` sees a live holder: the fake holder is what a CLI writer looks like.
        p = cli(home_dir, "unlock", check=False)
        assert f"pid {holder.pid}" in p.stderr + p.stdout

        t0 = time.monotonic()
        with pytest.raises(ipfs_kit.Locked) as e:
            b.add(tree)
        waited = time.monotonic() - t0
        assert 0.4 <= waited < 5, waited
        msg = str(e.value)
        assert f"pid {holder.pid}" in msg and "pytest lock holder" in msg, msg
        assert "\n" not in msg
        assert isinstance(e.value, ipfs_kit.IpfsKitError)

        with pytest.raises(ipfs_kit.Locked):
            home.create_bucket("other")
        with pytest.raises(ipfs_kit.Locked):
            home.snapshot()

        # Reads take no lock.
        assert b.info().files == 0
        assert list(b.files()) == []
        assert ipfs_kit.hash(tree)

        # The CLI gives up the same way.
        p = cli(home_dir, "--lock-wait", "0", "bucket", "add", "docs", tree, check=False)
        assert p.returncode != 0 and f"pid {holder.pid}" in p.stderr

    # Released: the same Home writes.
    assert b.add(tree).files == len(TREE_FILES)


def test_a_long_timeout_waits_for_the_holder(home_dir: Path, tree: Path) -> None:
    home = ipfs_kit.Home(home_dir, lock_timeout=60)
    b = home.create_bucket("docs")
    result = {}

    def add():
        t0 = time.monotonic()
        try:
            result["added"] = b.add(tree)
        except BaseException as e:  # noqa: BLE001 - reported below
            result["error"] = e
        result["took"] = time.monotonic() - t0

    with LockHolder(home_dir) as holder:
        t = threading.Thread(target=add)
        t.start()
        time.sleep(1.5)
        assert t.is_alive(), f"add did not wait for the lock: {result}"
        assert b.info().files == 0
        holder.release()
        t.join(30)
    assert not t.is_alive()
    assert "error" not in result, result
    assert result["took"] >= 1.4
    assert result["added"].root == b.root
    assert b.info().files == len(TREE_FILES)


def test_the_cli_waits_for_a_python_writer_and_both_land(home_dir: Path, tmp_path: Path) -> None:
    """Python and CLI writers racing on one home: every write lands, none is lost."""
    home = ipfs_kit.Home(home_dir, lock_timeout=60)
    home.create_bucket("py")
    cli(home_dir, "bucket", "create", "cli")
    src = tmp_path / "many"
    src.mkdir()
    n = 12
    for i in range(n):
        (src / f"f{i:02}.txt").write_text(f"file {i}\n")

    procs = []
    errors = []

    def python_writer():
        try:
            b = home.bucket("py")
            for i in range(n):
                b.add(src / f"f{i:02}.txt")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=python_writer)
    t.start()
    for i in range(n):
        procs.append(subprocess.run(
            [str(KIT), "-q", "--home", str(home_dir), "bucket", "add", "cli", str(src / f"f{i:02}.txt")],
            capture_output=True, text=True, timeout=60))
    t.join(60)
    assert not errors, errors
    assert all(p.returncode == 0 for p in procs), [p.stderr for p in procs if p.returncode]
    assert [e.path for e in home.bucket("py").files()] == [f"f{i:02}.txt" for i in range(n)]
    assert [e.path for e in home.bucket("cli").files()] == [f"f{i:02}.txt" for i in range(n)]
    assert home.bucket("py").root == home.bucket("cli").root
    assert cli_lines(home_dir, "check")
