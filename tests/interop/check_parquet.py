#!/usr/bin/env python3
"""Reads a bucket's Parquet index with pyarrow and DuckDB and checks it against what the CLI says.

usage: check_parquet.py INDEX.parquet EXPECTED.json
EXPECTED.json holds {"bucket": name, "version": n, "files": [rows of `bucket files --json`]}.
Prints one JSON line of findings and exits non-zero on the first mismatch.
"""
import hashlib, json, sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

STRING_COLUMNS = ["file_id", "bucket_name", "name", "cid", "path", "vfs_path", "mount_point", "mime_type",
                  "uploaded_at", "last_accessed", "content_hash", "integrity_status", "storage_tier",
                  "encryption_status", "snapshot_created", "tags"]
INT_COLUMNS = ["size_bytes", "access_count", "bucket_version"]


def fail(msg):
    sys.exit(f"check_parquet: {msg}")


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    expected = json.load(open(expected_path))
    table = pq.read_table(path)
    schema = table.schema
    for col in STRING_COLUMNS:
        if schema.field(col).type != pa.string():
            fail(f"{col} is {schema.field(col).type}, expected string")
    for col in INT_COLUMNS:
        if schema.field(col).type != pa.int64():
            fail(f"{col} is {schema.field(col).type}, expected int64")
    if schema.field("compression").type != pa.null():
        fail(f"compression is {schema.field('compression').type}, expected null")
    first20 = [f.name for f in schema][:20]
    if sorted(first20) != sorted(STRING_COLUMNS + INT_COLUMNS + ["compression"]):
        fail(f"the first 20 columns are {first20}")
    rows = table.to_pylist()
    want = expected["files"]
    if len(rows) != len(want):
        fail(f"{len(rows)} rows, expected {len(want)}")
    for row, w in zip(rows, want):
        if row["path"] != w["path"]:
            fail(f"row order: {row['path']} vs {w['path']}")
        if row["cid_base32"] != w["cid"]:
            fail(f"{w['path']}: cid_base32 {row['cid_base32']} vs CLI {w['cid']}")
        if row["size_bytes"] != w["size"]:
            fail(f"{w['path']}: size {row['size_bytes']} vs {w['size']}")
        if row["content_hash"] != "sha256:" + w["content_hash"]:
            fail(f"{w['path']}: content_hash {row['content_hash']}")
        if row["bucket_name"] != expected["bucket"] or row["vfs_path"] != f"/{expected['bucket']}/{w['path']}":
            fail(f"{w['path']}: bucket_name/vfs_path {row['bucket_name']} {row['vfs_path']}")
        if row["tags"] != "[]" or json.loads(row["tags"]) != []:
            fail(f"{w['path']}: tags {row['tags']!r}")
        if row["compression"] is not None:
            fail("compression is not null")
        if row["access_count"] != w["access_count"]:
            fail(f"{w['path']}: access_count {row['access_count']} vs {w['access_count']}")
    # content_hash is the SHA-256 of the bytes: check against files given on disk, if any.
    for rel, disk in expected.get("disk", {}).items():
        row = next(r for r in rows if r["path"] == rel)
        digest = hashlib.sha256(open(disk, "rb").read()).hexdigest()
        if row["content_hash"] != "sha256:" + digest:
            fail(f"{rel}: content_hash is not the SHA-256 of its bytes")
    meta = pq.read_metadata(path)
    kv = {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()}
    if kv.get("ipfs_kit.bucket_version") != str(expected["version"]):
        fail(f"bucket_version metadata {kv.get('ipfs_kit.bucket_version')} vs {expected['version']}")
    stats = meta.row_group(0).column(schema.get_field_index("path")).statistics
    if not (stats and stats.has_min_max):
        fail("no min/max statistics on path")
    # DuckDB: the lookup users will type.
    probe = want[len(want) // 2]
    con = duckdb.connect()
    hit = con.execute("SELECT path, size_bytes FROM read_parquet(?) WHERE cid = ?", [path, rows[len(want) // 2]["cid"]]).fetchall()
    if hit != [(probe["path"], probe["size"])]:
        fail(f"DuckDB WHERE cid = … gave {hit}")
    hit = con.execute("SELECT count(*) FROM read_parquet(?) WHERE cid_base32 = ?", [path, probe["cid"]]).fetchone()[0]
    if hit < 1:
        fail("DuckDB WHERE cid_base32 = … found nothing")
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))", [path]).fetchall())
    if types["size_bytes"] != "BIGINT" or types["cid"] != "VARCHAR":
        fail(f"DuckDB types {types['size_bytes']} {types['cid']}")
    print(json.dumps({"rows": len(rows), "row_groups": meta.num_row_groups, "duckdb_hit": probe["path"]}))


if __name__ == "__main__":
    main()
