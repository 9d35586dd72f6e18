#!/usr/bin/env python3
"""Writes the seed corpora for the fuzz targets, deterministically (python3 stdlib only).

    python3 fuzz/make_seeds.py            # writes fuzz/seeds/<target>/ for every target

Every seed is built by hand from the specs (CARv1/CARv2, DAG-CBOR, dag-pb, UnixFS) so the
corpora do not depend on the crates under test. The DAG targets' seeds (unixfs_tree, car_import)
come from make_dag_seeds.py, which builds on tests/hostile/ipld.py and converts the CAR exports
in fuzz/testdata/; snapshot_record's start from real records in fuzz/testdata/snapshots/ (made
with `ipfs-kit bucket snapshot`). Regenerating gives byte-identical files. Files named
`regress-*` are crash reproducers found by fuzzing; they are kept, not regenerated.
"""

import hashlib
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEEDS = os.path.join(HERE, "seeds")
GO_CAR_FIXTURE = os.path.join(REPO, "crates", "car", "testdata", "go-car-sample-unixfs-v2.car")
SNAPSHOT_RECORDS = os.path.join(HERE, "testdata", "snapshots")

RAW = 0x55
DAG_PB = 0x70
DAG_CBOR = 0x71
SHA2_256 = 0x12
IDENTITY = 0x00


# ---------------------------------------------------------------- primitives

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def multihash(code, digest):
    return varint(code) + varint(len(digest)) + digest


def cid_v1(codec, data, hash_code=SHA2_256):
    digest = hashlib.sha256(data).digest() if hash_code == SHA2_256 else data
    return varint(1) + varint(codec) + multihash(hash_code, digest)


def cid_v0(data):
    return multihash(SHA2_256, hashlib.sha256(data).digest())


# ---------------------------------------------------------------- DAG-CBOR / CAR

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor_text(s):
    b = s.encode()
    return cbor_head(3, len(b)) + b


def cbor_cid(cid):
    return cbor_head(6, 42) + cbor_head(2, len(cid) + 1) + b"\x00" + cid


def car_header(roots, version=1, swap=False):
    roots_kv = cbor_text("roots") + cbor_head(4, len(roots)) + b"".join(cbor_cid(c) for c in roots)
    version_kv = cbor_text("version") + cbor_head(0, version)
    body = cbor_head(5, 2) + (version_kv + roots_kv if swap else roots_kv + version_kv)
    return varint(len(body)) + body


def section(cid, data):
    return varint(len(cid) + len(data)) + cid + data


PRAGMA = bytes([0x0A, 0xA1, 0x67]) + b"version" + bytes([0x02])


def v2_header(data_offset, data_size, index_offset, characteristics=bytes(16)):
    return characteristics + struct.pack("<QQQ", data_offset, data_size, index_offset)


def mh_index_sorted(entries):
    """go-car MultihashIndexSorted (0x0401) for (multihash code, digest, offset) entries."""
    out = bytearray(varint(0x0401))
    codes = sorted({c for c, _, _ in entries})
    out += struct.pack("<i", len(codes))
    for code in codes:
        group = sorted((d, o) for c, d, o in entries if c == code)
        widths = sorted({len(d) + 8 for d, _ in group})
        out += struct.pack("<Q", code) + struct.pack("<i", len(widths))
        for width in widths:
            bucket = [(d, o) for d, o in group if len(d) + 8 == width]
            out += struct.pack("<IQ", width, width * len(bucket))
            for d, o in bucket:
                out += d + struct.pack("<Q", o)
    return bytes(out)


def carv2(payload, index_entries=None, padding=0, gap=0):
    data_offset = len(PRAGMA) + 40 + padding
    index_offset = 0 if index_entries is None else data_offset + len(payload) + gap
    out = PRAGMA + v2_header(data_offset, len(payload), index_offset) + bytes(padding) + payload + bytes(gap)
    if index_entries is not None:
        out += mh_index_sorted(index_entries)
    return out


# ---------------------------------------------------------------- dag-pb / UnixFS

def pb_bytes(field, b):
    return varint(field << 3 | 2) + varint(len(b)) + b


def pb_varint(field, n):
    return varint(field << 3) + varint(n)


def pb_link(cid, name=None, tsize=None):
    body = pb_bytes(1, cid)
    if name is not None:
        body += pb_bytes(2, name.encode() if isinstance(name, str) else name)
    if tsize is not None:
        body += pb_varint(3, tsize)
    return pb_bytes(2, body)


def pb_node(links=(), data=None):
    out = b"".join(links)
    if data is not None:
        out += pb_bytes(1, data)
    return out


def unixfs(kind, data=None, filesize=None, blocksizes=(), hash_type=None, fanout=None, mode=None, mtime=None):
    out = pb_varint(1, kind)
    if data is not None:
        out += pb_bytes(2, data)
    if filesize is not None:
        out += pb_varint(3, filesize)
    for size in blocksizes:
        out += pb_varint(4, size)
    if hash_type is not None:
        out += pb_varint(5, hash_type)
    if fanout is not None:
        out += pb_varint(6, fanout)
    if mode is not None:
        out += pb_varint(7, mode)
    if mtime is not None:
        seconds, nanos = mtime
        body = pb_varint(1, seconds & (2**64 - 1))
        if nanos is not None:
            body += bytes([0x15]) + struct.pack("<I", nanos)
        out += pb_bytes(8, body)
    return out


# ---------------------------------------------------------------- corpora

def car_seeds():
    seeds = {}
    hello = b"hello, fuzz\n"
    world = b"world" * 40
    leaf_a, leaf_b = cid_v1(RAW, hello), cid_v1(RAW, world)
    file_node = pb_node(
        [pb_link(leaf_a, "", len(hello)), pb_link(leaf_b, "", len(world))],
        unixfs(2, filesize=len(hello) + len(world), blocksizes=[len(hello), len(world)]),
    )
    file_cid = cid_v1(DAG_PB, file_node)
    dir_node = pb_node([pb_link(file_cid, "hello.txt", len(file_node) + len(hello) + len(world))], unixfs(1))
    dir_cid = cid_v1(DAG_PB, dir_node)
    inline = b"inline block"
    inline_cid = cid_v1(RAW, inline, IDENTITY)
    cbor_block = cbor_head(5, 1) + cbor_text("a") + cbor_head(0, 1)
    cbor_cid_ = cid_v1(DAG_CBOR, cbor_block)
    empty_dir = bytes.fromhex("0a020801")
    empty_dir_v0 = cid_v0(empty_dir)

    blocks = [
        (dir_cid, dir_node),
        (file_cid, file_node),
        (leaf_a, hello),
        (leaf_b, world),
        (inline_cid, inline),
        (cbor_cid_, cbor_block),
        (empty_dir_v0, empty_dir),
    ]
    body = b"".join(section(c, d) for c, d in blocks)
    v1 = car_header([dir_cid]) + body
    seeds["valid-v1.car"] = v1
    seeds["valid-v1-two-roots-swapped-keys.car"] = car_header([dir_cid, empty_dir_v0], swap=True) + body
    seeds["valid-v1-no-roots.car"] = car_header([]) + section(leaf_a, hello)
    seeds["valid-v1-header-only.car"] = car_header([leaf_a])

    # CARv2 wrapping the same payload, with a go-car style index (offsets relative to payload).
    entries, off = [], len(car_header([dir_cid]))
    for c, d in blocks:
        mh = c[2:] if c[0] == 1 else c  # CIDv1: skip the version and (one-byte) codec varints
        code, size = mh[0], mh[1]
        entries.append((code, mh[2 : 2 + size], off))
        off += len(section(c, d))
    seeds["valid-v2-indexed.car"] = carv2(v1, entries)
    seeds["valid-v2-padded-no-index.car"] = carv2(v1, None, padding=7)
    seeds["valid-v2-gap-before-index.car"] = carv2(v1, entries, gap=5)

    with open(GO_CAR_FIXTURE, "rb") as f:
        seeds["go-car-sample-unixfs-v2.car"] = f.read()

    # Broken inputs.
    seeds["truncated-mid-block.car"] = v1[: len(car_header([dir_cid])) + len(section(dir_cid, dir_node)) + 20]
    seeds["truncated-mid-header.car"] = v1[:9]
    bad = bytearray(car_header([leaf_a]) + section(leaf_a, hello))
    bad[-1] ^= 0x01
    seeds["hash-mismatch.car"] = bytes(bad)
    seeds["varint-overflow.car"] = b"\xff" * 11
    seeds["varint-overflow-section.car"] = car_header([leaf_a]) + b"\xff" * 11
    seeds["varint-not-minimal.car"] = b"\x80\x00"
    seeds["header-len-4gib.car"] = varint(4 << 30) + car_header([leaf_a])[1:]
    seeds["section-len-4gib.car"] = car_header([leaf_a]) + varint(4 << 30) + leaf_a + hello
    seeds["zero-length-section.car"] = car_header([leaf_a]) + b"\x00"
    seeds["header-version-2.car"] = car_header([leaf_a], version=2) + section(leaf_a, hello)
    # The sha2-256 code 0x12 written as a 10-byte varint (92 80*8 02): the reader verifies the
    # block and hands out the canonical CID, which is not the CID bytes in the file.
    overlong = varint(1) + varint(RAW) + bytes.fromhex("92808080808080808002") + varint(32) + hashlib.sha256(hello).digest()
    seeds["noncanonical-cid-overlong-mh-code.car"] = car_header([]) + section(overlong, hello)
    seeds["unsupported-hash.car"] = car_header([leaf_a]) + section(varint(1) + varint(RAW) + multihash(0x1E, bytes(32)), b"x")

    good_v2 = carv2(v1, entries)
    # Index offset far past the end of the file.
    seeds["v2-bogus-index-offset.car"] = PRAGMA + v2_header(51, len(v1), 1 << 40) + v1 + mh_index_sorted(entries)
    # Index offset pointing at the middle of the index (misaligned), and into nowhere special.
    seeds["v2-index-offset-misaligned.car"] = PRAGMA + v2_header(51, len(v1), 51 + len(v1) + 3) + v1 + mh_index_sorted(entries)
    # Index offset inside the payload (header decode must refuse it).
    seeds["v2-index-overlaps-data.car"] = PRAGMA + v2_header(51, len(v1), 60) + v1
    seeds["v2-data-size-past-eof.car"] = PRAGMA + v2_header(51, len(v1) + 1000, 0) + v1
    seeds["v2-data-offset-huge.car"] = PRAGMA + v2_header(1 << 62, 10, 0) + v1
    seeds["v2-nested-pragma.car"] = PRAGMA + v2_header(51, len(PRAGMA) + 40, 0) + PRAGMA + bytes(40)
    seeds["v2-truncated-index.car"] = good_v2[:-5]
    seeds["v2-index-wrong-codec.car"] = good_v2[: len(good_v2) - len(mh_index_sorted(entries))] + varint(0x0400) + bytes(4)
    seeds["v2-empty-index.car"] = carv2(v1, [])
    return seeds


def dag_pb_seeds():
    seeds = {}
    raw_a = cid_v1(RAW, b"a" * 1000)
    raw_b = cid_v1(RAW, b"b" * 24)
    file_cid = cid_v1(DAG_PB, b"file")
    v0 = cid_v0(b"v0 target")
    seeds["empty-dir.pb"] = bytes.fromhex("0a020801")
    seeds["empty-node.pb"] = b""
    seeds["raw-leaf-unixfs.pb"] = pb_node([], unixfs(0, data=b"leaf bytes", filesize=10))
    seeds["file-with-links.pb"] = pb_node(
        [pb_link(raw_a, "", 1000), pb_link(raw_b, "", 24)],
        unixfs(2, filesize=1024, blocksizes=[1000, 24]),
    )
    seeds["file-v0-links-no-names.pb"] = pb_node([pb_link(v0, None, 262158), pb_link(v0, None, 262158)], unixfs(2, filesize=524288, blocksizes=[262144, 262144]))
    seeds["file-mode-mtime.pb"] = pb_node([], unixfs(2, data=b"x", filesize=1, mode=0o100644, mtime=(1_700_000_000, 5)))
    seeds["file-negative-mtime.pb"] = pb_node([], unixfs(2, data=b"", filesize=0, mtime=(-1, None)))
    seeds["directory.pb"] = pb_node(
        [pb_link(file_cid, "a.txt", 5), pb_link(v0, "b", 300), pb_link(raw_b, "z\u00e9", 24)], unixfs(1, mode=0o755)
    )
    seeds["hamt-shard.pb"] = pb_node(
        [
            pb_link(file_cid, "1Ahello.txt", 12),
            pb_link(cid_v1(DAG_PB, b"subshard"), "7F", 4000),
            pb_link(raw_a, "F0world", 1000),
        ],
        unixfs(5, data=bytes.fromhex("01000000000000000000000000800000000000000000000000000000000004"), hash_type=0x22, fanout=256),
    )
    seeds["symlink.pb"] = pb_node([], unixfs(4, data=b"../target"))
    seeds["metadata.pb"] = pb_node([pb_link(file_cid, None, None)], unixfs(3))
    seeds["opaque-data-only.pb"] = pb_node([], b"\xff\x00not unixfs")
    # Invalid: each breaks one canonical-form rule.
    link = pb_link(raw_a, "a", 1)
    seeds["bad-data-before-links.pb"] = pb_bytes(1, unixfs(1)) + link
    seeds["bad-unsorted-links.pb"] = pb_link(raw_a, "b", 1) + pb_link(raw_a, "a", 1)
    seeds["bad-truncated.pb"] = seeds["directory.pb"][:-3]
    seeds["bad-unknown-field.pb"] = bytes.fromhex("1a00")
    seeds["bad-nonminimal-varint.pb"] = bytes.fromhex("0a8200") + b"\x08"
    seeds["bad-link-name-before-hash.pb"] = pb_bytes(2, pb_bytes(2, b"a") + pb_bytes(1, raw_a))
    seeds["bad-link-no-hash.pb"] = bytes.fromhex("12021801")
    seeds["bad-cid-trailing-byte.pb"] = pb_bytes(2, pb_bytes(1, raw_a + b"\x00"))
    seeds["bad-explicit-cidv0.pb"] = pb_bytes(2, pb_bytes(1, b"\x00\x70" + v0))
    seeds["bad-name-not-utf8.pb"] = pb_link(raw_a, b"\xff\xfe", 1)
    seeds["bad-varint-overflow.pb"] = b"\x12" + b"\xff" * 11
    seeds["bad-unixfs-type-9.pb"] = pb_node([], bytes.fromhex("0809"))
    seeds["bad-unixfs-out-of-order.pb"] = pb_node([], bytes.fromhex("18000802"))
    seeds["bad-two-data-fields.pb"] = pb_bytes(1, b"\x08\x01") + pb_bytes(1, b"\x08\x01")
    # A link CID whose codec 0x70 is written as a 10-byte varint with high bits set in the last
    # byte (f0 80*8 02). unsigned-varint 0.8 drops bits past 64 instead of refusing them, so this
    # decodes to the canonical CID and re-encodes differently (found by fuzzing, see regress-*).
    seeds["noncanonical-cid-overlong-codec.pb"] = pb_bytes(
        2, pb_bytes(1, b"\x01" + bytes.fromhex("f08080808080808080" + "02") + multihash(SHA2_256, bytes([0x11] * 32)))
    )
    return seeds


def snapshot_record_seeds():
    """Real records as ipfs-kit writes them, the compact canonical form, and broken variants."""
    seeds = {}
    names = sorted(n for n in os.listdir(SNAPSHOT_RECORDS) if n.endswith(".json"))
    for name in names:
        with open(os.path.join(SNAPSHOT_RECORDS, name), "rb") as f:
            seeds["real-" + name] = f.read()
    with open(os.path.join(SNAPSHOT_RECORDS, "snapshot_20261202_075333_zdj7WaaWtRFk.json")) as f:
        base = json.load(f)

    def variant(name, record=None, text=None):
        seeds[name + ".json"] = text.encode() if text is not None else json.dumps(record, indent=2).encode()

    def edit(**changes):
        r = json.loads(json.dumps(base))
        for k, v in changes.items():
            if v is KeyError:
                del r[k]
            else:
                r[k] = v
        return r

    def edit_bucket(**changes):
        r = edit()
        b = r["buckets"]["a"]
        for k, v in changes.items():
            b[k] = v
        return r

    variant("compact-sorted", text=json.dumps(base, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    variant("ascii-escaped", text=json.dumps(base, ensure_ascii=True))
    variant("format-other", edit(format="ipfs-kit-snapshot-v2"))
    variant("version-newer", edit(version=2))
    variant("version-zero", edit(version=0))
    variant("version-negative", edit(version=-1))
    variant("version-u32-max", edit(version=4294967295))
    variant("sequence-u64-max", edit(sequence=18446744073709551615))
    variant("sequence-float", edit(sequence=1.0))
    variant("missing-global-hash", edit(global_hash=KeyError))
    variant("missing-message", edit(message=KeyError))
    variant("unknown-field", edit(extra={"nested": [1, 2, {"x": None}]}))
    variant("message-escapes", edit(message="nul \u0000 tab \t emoji \ud83d\ude00 \u2028 end"))
    variant("parent-null", edit(parent=None))
    variant("no-buckets", edit(buckets={}, bucket_count=0))
    variant("global-hash-base32", edit(global_hash="bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"))
    variant("global-hash-v0", edit(global_hash="QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"))
    variant("global-hash-identity", edit(global_hash="bafkqaaa"))
    variant("global-hash-not-cid", edit(global_hash="zzzz-not-a-cid"))
    variant("global-hash-empty", edit(global_hash=""))
    variant("snapshot-id-traversal", edit(snapshot_id="../../../etc/passwd"))
    variant("snapshot-id-short", edit(snapshot_id="snap"))
    variant("bucket-root-not-cid", edit_bucket(content_hash="not a cid"))
    variant("bucket-index-base16", edit_bucket(snapshot_hash="f01551220" + "00" * 32))
    variant("bucket-version-negative", edit_bucket(version=-9223372036854775808))
    variant("bucket-car-ready-string", edit_bucket(car_ready="true"))
    variant("bucket-names-hostile", edit(buckets={"": base["buckets"]["a"], "../x": base["buckets"]["a"], "\u001b]0;t\u0007": base["buckets"]["a"]}))
    dup = json.dumps(base, indent=2)
    variant("duplicate-key", text=dup.replace('"format": "ipfs-kit-snapshot",', '"format": "ipfs-kit-snapshot",\n  "format": "ipfs-kit-snapshot",', 1))
    variant("duplicate-bucket", text=dup.replace('"buckets": {', '"buckets": {"a": ' + json.dumps(base["buckets"]["old"]) + ",", 1))
    variant("truncated", text=dup[: len(dup) // 2])
    variant("trailing-garbage", text=dup + "\n{}")
    variant("lone-surrogate", text=dup.replace('"two more"', '"\\ud800"', 1))
    variant("deep-nesting", text=dup.replace('"parent": ', '"extra": ' + "[" * 200 + "]" * 200 + ', "parent": ', 1))
    return seeds


def write(target, seeds):
    out = os.path.join(SEEDS, target)
    os.makedirs(out, exist_ok=True)
    # Drop stale generated seeds; keep regression inputs found by fuzzing.
    for name in os.listdir(out):
        if not name.startswith("regress-") and name not in seeds:
            os.remove(os.path.join(out, name))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return len(seeds)


def main():
    if not os.path.exists(GO_CAR_FIXTURE):
        sys.exit(f"missing fixture {GO_CAR_FIXTURE}")
    sys.path.insert(0, HERE)
    from make_dag_seeds import dag_seeds

    counts = {
        "car_reader": write("car_reader", car_seeds()),
        "dag_pb": write("dag_pb", dag_pb_seeds()),
        "unixfs_tree": write("unixfs_tree", dag_seeds("unixfs_tree")),
        "car_import": write("car_import", dag_seeds("car_import")),
        "snapshot_record": write("snapshot_record", snapshot_record_seeds()),
    }
    summary = ", ".join(f"{n} {target}" for target, n in counts.items())
    print(f"wrote seeds under {os.path.relpath(SEEDS, REPO)}/: {summary}")


if __name__ == "__main__":
    main()
