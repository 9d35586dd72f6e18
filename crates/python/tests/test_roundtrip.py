"""A bucket's whole life from Python: create, add, list, read, get, snapshot, change, diff,
restore, export a CAR and check it with ipfs-car and `car.verify`, import it elsewhere."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

import ipfs_kit
from conftest import (
    TREE_EMPTY_DIRS,
    TREE_FILES,
    base32_cid,
    cli,
    cli_entry_tuple,
    cli_json_lines,
    entry_tuple,
    ipfs_car,
    read_tree,
    tree_files,
)

BIG = "tree/big.bin"


def _summary(entries):
    return [(e.path, e.type, e.cid, e.size, e.content_hash) for e in entries]


def test_create_and_add(home: ipfs_kit.Home, tree: Path, tmp_path: Path) -> None:
    b = home.create_bucket("docs")
    info = b.info()
    assert (info.name, info.profile, info.files, info.total_size) == ("docs", "unixfs-v1-2025", 0, 0)
    empty_root = info.root

    r = b.add(tree)
    assert isinstance(r, ipfs_kit.Added)
    assert r.root == b.root != empty_root
    assert [(p.lstrip("/"), c) for p, c in r.added] == [("tree", ipfs_kit.hash(tree))]
    assert r.files == len(TREE_FILES)
    assert r.bytes == sum(len(v) for v in TREE_FILES.values())
    assert r.new_blocks > 0

    # The bucket root is the directory {tree: …}: the CID of a folder holding the same tree.
    wrap = tmp_path / "wrap"
    shutil.copytree(tree, wrap / "tree")
    assert b.root == ipfs_kit.hash(wrap)

    info = b.info()
    assert info.files == len(TREE_FILES) == len(list(b.files()))
    assert info.total_size == r.bytes
    assert info.version >= 2

    # Adding the same tree again changes nothing and stores no new block.
    again = b.add(tree)
    assert again.root == r.root
    assert again.new_blocks == 0

    assert [x.name for x in home.buckets()] == ["docs"]
    assert home.bucket("docs") == b


def test_files_match_the_cli(home_dir: Path, bucket: ipfs_kit.Bucket) -> None:
    ours = list(bucket.files())
    theirs = cli_json_lines(home_dir, "bucket", "files", "docs", "--json")
    assert [entry_tuple(e) for e in ours] == [cli_entry_tuple(d) for d in theirs]
    assert sorted(e.path for e in ours) == sorted(tree_files("tree"))
    assert [e.path for e in ours] == sorted(e.path for e in ours)  # path order

    for e in ours:
        assert e.type == "file"
        assert e.size == len(TREE_FILES[e.path.removeprefix("tree/")])

    sub = list(bucket.files("tree/sub/"))
    assert [e.path for e in sub] == [d["path"] for d in cli_json_lines(
        home_dir, "bucket", "files", "docs", "--json", "--prefix", "tree/sub/")]
    assert sub and all(e.path.startswith("tree/sub/") for e in sub)
    assert list(bucket.files("nothing/here")) == []


@pytest.mark.parametrize("page", [1, 2, 3, 7])
def test_files_pages_join_up(bucket: ipfs_kit.Bucket, monkeypatch, page: int) -> None:
    """files() reads the catalog a page at a time: small pages give the same list, each entry
    once, with or without a prefix."""
    whole = [entry_tuple(e) for e in bucket.files()]
    sub = [entry_tuple(e) for e in bucket.files("tree/sub/")]
    monkeypatch.setattr(ipfs_kit._home, "_FILES_PAGE", page)
    assert [entry_tuple(e) for e in bucket.files()] == whole
    assert [entry_tuple(e) for e in bucket.files("tree/sub/")] == sub


def test_stat(bucket: ipfs_kit.Bucket, tree: Path) -> None:
    e = bucket.stat("tree/a.txt")
    assert e == next(x for x in bucket.files() if x.path == "tree/a.txt")
    assert e.cid == ipfs_kit.hash(tree / "a.txt")
    d = bucket.stat("tree/sub")
    assert (d.type, d.cid, d.size) == ("directory", ipfs_kit.hash(tree / "sub"), 0)
    empty = bucket.stat("tree/emptydir")
    assert empty.type == "directory"
    with pytest.raises(ipfs_kit.NotFound):
        bucket.stat("tree/nope")


def test_open_read_seek(bucket: ipfs_kit.Bucket) -> None:
    data = TREE_FILES["big.bin"]
    with bucket.open(BIG) as f:
        assert isinstance(f, io.BufferedReader)
        assert f.readable() and f.seekable()
        assert f.read() == data
        assert f.tell() == len(data)
        assert f.read() == b""

        # Across the 1 MiB chunk boundary, from the start, from the end, relative.
        f.seek(1_048_570)
        assert f.read(20) == data[1_048_570:1_048_590]
        assert f.tell() == 1_048_590
        f.seek(-10, io.SEEK_END)
        assert f.read() == data[-10:]
        f.seek(100)
        f.seek(50, io.SEEK_CUR)
        assert f.read(7) == data[150:157]
        f.seek(len(data) + 100)
        assert f.read() == b""

        f.seek(0)
        chunks = []
        for chunk in iter(lambda: f.read(65_537), b""):
            assert len(chunk) <= 65_537
            chunks.append(chunk)
        assert b"".join(chunks) == data
        assert len(chunks) == -(-len(data) // 65_537)

    with bucket.open(BIG) as f:
        buf = bytearray(4096)
        f.seek(1_000_000)
        assert f.readinto(buf) == 4096
        assert bytes(buf) == data[1_000_000:1_004_096]

    with bucket.open("tree/empty.txt") as f:
        assert f.read() == b""
    for rel, want in TREE_FILES.items():
        with bucket.open(f"tree/{rel}") as f:
            assert f.read() == want, rel
    with pytest.raises(ipfs_kit.NotFound):
        bucket.open("tree/nope.txt")


def test_open_is_usable_from_stdlib_readers(bucket: ipfs_kit.Bucket) -> None:
    with bucket.open("tree/sub/c.txt") as f:
        assert io.TextIOWrapper(f, encoding="utf-8").read() == "charlie\n"
    with bucket.open(BIG) as f, io.BytesIO() as out:
        shutil.copyfileobj(f, out, 100_000)
        assert out.getvalue() == TREE_FILES["big.bin"]


def test_cat_and_get(bucket: ipfs_kit.Bucket, tree: Path, tmp_path: Path) -> None:
    for rel, want in TREE_FILES.items():
        assert bucket.cat(f"tree/{rel}") == want, rel

    out = tmp_path / "out"
    n = bucket.get("tree", out)
    assert n == sum(len(v) for v in TREE_FILES.values())
    assert read_tree(out) == TREE_FILES
    for d in TREE_EMPTY_DIRS:
        assert (out / d).is_dir() and not any((out / d).iterdir()), d
    assert ipfs_kit.hash(out) == bucket.stat("tree").cid

    one = tmp_path / "one.bin"
    assert bucket.get(BIG, one) == len(TREE_FILES["big.bin"])
    assert one.read_bytes() == TREE_FILES["big.bin"]

    # `out` must not exist.
    with pytest.raises(ipfs_kit.IpfsKitError):
        bucket.get(BIG, one)
    assert one.read_bytes() == TREE_FILES["big.bin"]
    with pytest.raises(ipfs_kit.NotFound):
        bucket.get("tree/nope", tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


def test_snapshot_change_diff_restore(home: ipfs_kit.Home, bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    before = list(bucket.files())
    s = home.snapshot("first")
    assert s.created and s.message == "first" and s.sequence == 1 and s.parent is None
    assert s.buckets == {"docs": bucket.root}
    assert s.total_files == len(TREE_FILES)
    assert s.total_size == sum(len(v) for v in TREE_FILES.values())
    assert [x.id for x in home.snapshots()] == [s.id]
    same = home.snapshot("nothing changed")
    assert not same.created and same.id == s.id
    assert len(home.snapshots()) == 1
    assert bucket.diff().changes == []

    # One of each change.
    old_z = bucket.stat("tree/Z-upper.txt").cid
    src = tmp_path / "changes"
    src.mkdir()
    (src / "new.txt").write_bytes(b"brand new\n")
    (src / "Z-upper.txt").write_bytes(b"ZULU, CHANGED\n")
    bucket.add(src / "new.txt", to="tree/sub")
    bucket.add(src / "Z-upper.txt", to="tree")
    root_rm = bucket.rm("tree/a.txt")
    assert root_rm == bucket.root
    root_mv = bucket.mv("tree/with space.txt", "tree/sub/moved.txt")
    assert root_mv == bucket.root
    assert bucket.cat("tree/sub/moved.txt") == b"space\n"
    with pytest.raises(ipfs_kit.NotFound):
        bucket.cat("tree/a.txt")
    changed_root = bucket.root

    d = bucket.diff()
    assert (d.from_, d.to) == (s.id, "working")
    assert sorted((c.path, c.change) for c in d.changes) == sorted([
        ("tree/sub/new.txt", "added"),
        ("tree/sub/moved.txt", "added"),
        ("tree/a.txt", "removed"),
        ("tree/with space.txt", "removed"),
        ("tree/Z-upper.txt", "modified"),
    ])
    assert sorted(c.path for c in d.added) == ["tree/sub/moved.txt", "tree/sub/new.txt"]
    assert sorted(c.path for c in d.removed) == ["tree/a.txt", "tree/with space.txt"]
    (m,) = d.modified
    assert (m.old, m.new, m.type) == (old_z, ipfs_kit.hash(src / "Z-upper.txt"), "file")
    (rm,) = [c for c in d.removed if c.path == "tree/a.txt"]
    assert (rm.old, rm.new) == (ipfs_kit.hash(tmp_path / "src" / "tree" / "a.txt"), None)
    assert bucket.diff(s.id, "working") == d
    # The other way round, every change flips.
    back = bucket.diff("working", s.id)
    assert sorted((c.path, c.change) for c in back.changes) == sorted([
        ("tree/sub/new.txt", "removed"),
        ("tree/sub/moved.txt", "removed"),
        ("tree/a.txt", "added"),
        ("tree/with space.txt", "added"),
        ("tree/Z-upper.txt", "modified"),
    ])

    # The CLI sees the same diff.
    (cli_diff,) = cli_json_lines(home.path, "bucket", "diff", "docs", "--json")
    assert sorted((c["path"], c["change"], c["old"], c["new"]) for c in cli_diff["changes"]) == \
        sorted((c.path, c.change, c.old, c.new) for c in d.changes)

    r = bucket.restore()
    assert r.root == s.buckets["docs"] == bucket.root
    assert r.files == len(TREE_FILES)
    assert _summary(bucket.files()) == _summary(before)
    assert bucket.cat("tree/a.txt") == TREE_FILES["a.txt"]
    assert bucket.cat("tree/Z-upper.txt") == TREE_FILES["Z-upper.txt"]
    with pytest.raises(ipfs_kit.NotFound):
        bucket.stat("tree/sub/new.txt")
    assert bucket.diff().changes == []

    # Back to the changed state by its root CID (its blocks are in the home).
    r2 = bucket.restore(cid=changed_root)
    assert r2.root == changed_root == bucket.root
    assert bucket.cat("tree/sub/new.txt") == b"brand new\n"
    assert len(bucket.diff().changes) == 5

    # An explicit snapshot id works as the default does.
    assert bucket.restore(s.id).root == s.buckets["docs"]

    # The log lists the snapshotted version (and the working one, when it moved on since), as
    # `bucket log --json` does.
    log = bucket.log()
    assert [(x["snapshot"], x["files"]) for x in log if x["snapshot"]] == [(s.id, len(TREE_FILES))]
    cli_log = json.loads(cli(home.path, "bucket", "log", "docs", "--json").stdout)
    assert [(x["snapshot"], x["version"], x["root"], x["files"], x["bytes"]) for x in log] == \
        [(x.get("snapshot_id"), x["version"], base32_cid(x["root"]), x["files"], x["size"]) for x in cli_log]


def test_snapshot_records_two_buckets(home: ipfs_kit.Home, tree: Path) -> None:
    a = home.create_bucket("a")
    b = home.create_bucket("b", profile="unixfs-v0-2015")
    a.add(tree / "sub")
    b.add(tree / "sub")
    assert b.root.startswith("Qm") and a.root.startswith("bafy")
    assert b.stat("sub").cid == ipfs_kit.hash(tree / "sub", "unixfs-v0-2015")
    s = home.snapshot()
    assert s.buckets == {"a": a.root, "b": b.root}
    assert s.message is None


def test_export_car_checked_by_ipfs_car(bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    car = tmp_path / "docs.car"
    e = bucket.export_car(car)
    assert e.root == bucket.root
    assert [s.path for s in e.shards] == [str(car)]
    assert e.shards[0].blocks == e.blocks > 0
    assert e.shards[0].bytes == car.stat().st_size

    assert ipfs_car("roots", car).stdout.split() == [bucket.root]
    out = tmp_path / "unpacked"
    ipfs_car("unpack", car, "--output", out)
    assert read_tree(out / "tree") == TREE_FILES
    for d in TREE_EMPTY_DIRS:
        assert (out / "tree" / d).is_dir()
    assert len(ipfs_car("blocks", car).stdout.split()) == e.blocks

    rep = ipfs_kit.car.verify(car)
    assert isinstance(rep, ipfs_kit.CarReport)
    assert (rep.version, rep.roots, rep.blocks, rep.block_bytes) == (1, [bucket.root], e.blocks, e.block_bytes)
    assert rep.complete and rep.missing_blocks == 0

    # An existing file is refused unless forced.
    with pytest.raises(ipfs_kit.IpfsKitError):
        bucket.export_car(car)
    assert bucket.export_car(car, force=True, verify=True).root == bucket.root

    # The CAR's own CID only when asked; then equal to what ipfs-car computes for the file.
    assert e.shards[0].car_cid is None
    with_cid = bucket.export_car(car, force=True, car_cid=True)
    assert with_cid.shards[0].car_cid == ipfs_car("hash", car).stdout.strip()

    v2 = tmp_path / "docs.v2.car"
    bucket.export_car(v2, v2=True)
    rep2 = ipfs_kit.car.verify(v2)
    assert (rep2.version, rep2.roots, rep2.blocks, rep2.complete) == (2, [bucket.root], e.blocks, True)


def test_export_car_shards_and_import_elsewhere(bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    car = tmp_path / "sharded.car"
    e = bucket.export_car(car, shard_size=1_100_000)
    assert len(e.shards) >= 2
    assert sum(s.blocks for s in e.shards) == e.blocks
    for s in e.shards:
        assert Path(s.path).stat().st_size == s.bytes
    # Each shard names the root; only one holds its block, so a lone shard is incomplete.
    first = ipfs_kit.car.verify(e.shards[0].path)
    assert first.roots == [bucket.root] and not first.complete

    other = ipfs_kit.Home(tmp_path / "other-home")
    imp = other.import_car([s.path for s in e.shards], "copy")
    assert imp.roots == [bucket.root]
    assert imp.bucket == "copy"
    assert imp.blocks == e.blocks and imp.new_blocks == e.blocks
    copy = other.bucket("copy")
    assert copy.root == bucket.root
    # A CAR carries no SHA-256 of a file's bytes: imported files have content_hash None.
    assert [s[:4] for s in _summary(copy.files())] == [s[:4] for s in _summary(bucket.files())]
    assert copy.cat(BIG) == TREE_FILES["big.bin"]

    # Mounted at a path inside an existing bucket.
    other.create_bucket("mounts")
    single = tmp_path / "single.car"
    bucket.export_car(single)
    other.import_car(single, "mounts", to="docs-copy")
    assert other.bucket("mounts").stat("docs-copy").cid == bucket.root
    assert other.bucket("mounts").cat("docs-copy/tree/a.txt") == TREE_FILES["a.txt"]


def test_find_cid_and_remove_bucket(home: ipfs_kit.Home, bucket: ipfs_kit.Bucket, tree: Path) -> None:
    cid = ipfs_kit.hash(tree / "sub" / "c.txt")
    found = home.find_cid(cid)
    assert [(f.bucket, f.path, f.type) for f in found] == [("docs", "tree/sub/c.txt", "file")]
    assert home.find_cid(ipfs_kit.hash(tree / "sub"))[0].type == "directory"

    home.remove_bucket("docs")
    assert home.buckets() == []
    with pytest.raises(ipfs_kit.NotFound):
        home.bucket("docs")
    assert cli(home.path, "bucket", "list", "--json").stdout.strip() == "[]"
