"""`Bucket.to_arrow()` is the bucket's Parquet index, and stays in step with the catalog."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

import ipfs_kit
from conftest import TREE_FILES, cli


def _check(bucket: ipfs_kit.Bucket, home_dir: Path) -> None:
    table = bucket.to_arrow()
    assert Path(bucket.index_path) == home_dir / "vfs" / "buckets" / f"{bucket.name}_vfs.parquet"
    assert table.equals(pq.read_table(bucket.index_path))
    files = list(bucket.files())
    assert table.num_rows == len(files) == bucket.info().files
    rows = sorted(table.select(["path", "cid_base32", "size_bytes"]).to_pylist(), key=lambda r: r["path"])
    assert [(r["path"], r["cid_base32"], r["size_bytes"]) for r in rows] == [(e.path, e.cid, e.size) for e in files]
    assert set(table.column("bucket_name").to_pylist()) <= {bucket.name}


def test_to_arrow_equals_the_index(home_dir: Path, bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    _check(bucket, home_dir)
    assert bucket.to_arrow().num_rows == len(TREE_FILES)

    # After each kind of change.
    extra = tmp_path / "extra.txt"
    extra.write_text("extra\n")
    bucket.add(extra, to="tree/sub")
    _check(bucket, home_dir)
    assert "tree/sub/extra.txt" in bucket.to_arrow().column("path").to_pylist()
    bucket.rm("tree/a.txt")
    bucket.mv("tree/sub/c.txt", "tree/c-moved.txt")
    _check(bucket, home_dir)
    paths = bucket.to_arrow().column("path").to_pylist()
    assert "tree/a.txt" not in paths and "tree/c-moved.txt" in paths and "tree/sub/c.txt" not in paths
    assert bucket.to_arrow().num_rows == len(TREE_FILES)

    bucket.rm("tree/sub", recursive=True)
    _check(bucket, home_dir)
    assert not [p for p in bucket.to_arrow().column("path").to_pylist() if p.startswith("tree/sub/")]


def test_to_arrow_after_a_cli_change_and_a_lost_index(home_dir: Path, bucket: ipfs_kit.Bucket, tmp_path: Path) -> None:
    cli(home_dir, "bucket", "rm-file", "docs", "tree/empty.txt")
    _check(bucket, home_dir)
    # A deleted index comes back: index_path rewrites it from the catalog.
    Path(bucket.index_path).unlink()
    _check(bucket, home_dir)


def test_empty_bucket(home: ipfs_kit.Home, home_dir: Path) -> None:
    b = home.create_bucket("empty")
    assert b.to_arrow().num_rows == 0
    _check(b, home_dir)
