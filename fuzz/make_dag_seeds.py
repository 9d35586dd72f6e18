#!/usr/bin/env python3
"""Seeds for the DAG-level fuzz targets (unixfs_tree, car_import), deterministically (stdlib only).

Called by fuzz/make_seeds.py; `python3 fuzz/make_dag_seeds.py OUTDIR` writes them alone.

Seeds are in the block framing of fuzz/src/lib.rs: per block `u8 kind | LEB128 length | bytes`,
kind 0 = raw CIDv1, 1 = dag-pb CIDv1, 2 = CIDv0 (dag-pb); CIDs are sha2-256; the first block is
the root. The DAGs come from tests/hostile/ipld.py (encoders written from the specs, not from
the crates under test):
  - good trees: plain directories, a HAMT four levels deep, multi-level files with raw and dag-pb
    leaves, symlinks, shared subtrees within the limits, real exports of an ipfs-kit home
    (fuzz/testdata/*.car: a bucket, and a global snapshot directory with its Parquet index);
  - every hostile shape of tests/hostile/make_cars.py (deep-nesting shortened to 100 levels);
  - more shapes aimed at the checker's promises: file DAGs at the depth limit, a shallow file
    reused deep inside another, children that are empty or shared to describe far more than
    they hold, and global-snapshot directories that restore cannot use.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "hostile"))

import make_cars  # noqa: E402  (registers the hostile CASES)
from ipld import (  # noqa: E402
    DAG_PB, RAW, SHA2_256, T_DIRECTORY, T_FILE, T_RAW, Dag, Node, cid_v1, hamt_hash, pb_link, pb_node, unixfs,
    varint,
)

TESTDATA = os.path.join(HERE, "testdata")

KIND_RAW, KIND_PB, KIND_V0 = 0, 1, 2


def kind_of(cid):
    if cid[0] == SHA2_256 and len(cid) == 34:
        return KIND_V0
    assert cid[0] == 1, cid
    return {RAW: KIND_RAW, DAG_PB: KIND_PB}[cid[1]]


def frame(blocks):
    """blocks: [(cid bytes, data)], root first."""
    return b"".join(bytes([kind_of(c)]) + varint(len(d)) + d for c, d in blocks)



def seed(dag, node):
    return frame(dag.in_order(node.cid))


# ---------------------------------------------------------------- CAR fixtures

def read_varint(b, i):
    n = shift = 0
    while True:
        byte = b[i]
        i += 1
        n |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return n, i


def car_blocks(path):
    """(root CID, [(cid, data)]) of a CARv1 with one root, root first then file order."""
    with open(path, "rb") as f:
        b = f.read()
    hlen, i = read_varint(b, 0)
    header = b[i : i + hlen]
    i += hlen
    # The root is the one tag-42 CID in the header: d8 2a 58 <len> 00 <cid>.
    at = header.index(b"\xd8\x2a\x58")
    root = header[at + 5 : at + 4 + header[at + 3]]
    blocks = []
    while i < len(b):
        slen, i = read_varint(b, i)
        body = b[i : i + slen]
        i += slen
        if body[0] == SHA2_256:
            clen = 34
        else:
            j = 0
            for _ in range(3):  # version, codec, hash code
                _, j = read_varint(body, j)
            dlen, j = read_varint(body, j)
            clen = j + dlen
        blocks.append((body[:clen], body[clen:]))
    blocks.sort(key=lambda cd: cd[0] != root)  # stable: root first
    assert blocks[0][0] == root, path
    return root, blocks


# ---------------------------------------------------------------- good trees

def names_sharing_prefix(count, prefix_len, start=0):
    """`count` names whose HAMT hashes share their first `prefix_len` bytes (searched)."""
    groups = {}
    i = start
    while True:
        name = "n%05d" % i
        key = hamt_hash(name)[:prefix_len]
        groups.setdefault(key, []).append(name)
        if len(groups[key]) == count:
            return groups[key]
        i += 1


def deep_hamt():
    """A HAMT four levels deep: 40 spread names, a pair sharing one hash byte, one sharing two,
    one sharing three. Values mix raw leaves, a multi-level file, a sub-directory and a symlink."""
    dag = Dag()
    names = ["file-%d.txt" % i for i in range(40)]
    names += names_sharing_prefix(2, 1, start=0)
    names += names_sharing_prefix(2, 2, start=0)
    names += names_sharing_prefix(2, 3, start=0)
    names = sorted(set(names))
    entries = []
    for n in names:
        entries.append((n, dag.raw(("%s\n" % n).encode())))
    a, b = dag.raw(b"chunk-a "), dag.raw(b"chunk-b")
    entries.append(("multi.bin", dag.file([a, b], sizes=[8, 7])))
    entries.append(("sub", dag.directory([("inner.txt", dag.raw(b"inner\n"))])))
    entries.append(("link", dag.symlink(b"file-1.txt")))
    return dag, dag.hamt_directory(entries)


def multi_level_file(dag, leaves, fanout, leaf_kind="raw"):
    """A balanced file over `leaves` (bytes), `fanout` links per node, raw or dag-pb leaves."""
    level = []
    for data in leaves:
        if leaf_kind == "raw":
            level.append((dag.raw(data), len(data)))
        else:
            level.append((dag.pb([], unixfs(T_RAW if leaf_kind == "pb-raw" else T_FILE, data=data, filesize=len(data))), len(data)))
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), fanout):
            group = level[i : i + fanout]
            sizes = [s for _, s in group]
            nxt.append((dag.file([n for n, _ in group], sizes=sizes), sum(sizes)))
        level = nxt
    return level[0][0]


def good_trees():
    seeds = {}
    dag, root = make_cars.good_small()
    seeds["good-small"] = seed(dag, root)
    dag, root = make_cars.good_hamt()
    seeds["good-hamt"] = seed(dag, root)
    dag, root = deep_hamt()
    seeds["good-hamt-4-levels"] = seed(dag, root)

    chunks = [bytes([65 + i % 26]) * (3 + i % 5) for i in range(27)]
    for kind in ("raw", "pb-raw", "pb-file"):
        dag = Dag(version=0 if kind != "raw" else 1)
        f = multi_level_file(dag, chunks, 3, kind)
        seeds["good-file-3-levels-%s" % kind] = seed(dag, dag.directory([("f.bin", f), ("g.bin", dag.raw(b"g"))]))
        seeds["good-file-root-%s" % kind] = seed(dag, f)

    # A file node that carries bytes of its own before its children (v0 style).
    dag = Dag(version=0)
    leaf = dag.pb([], unixfs(T_FILE, data=b"tail", filesize=4))
    f = dag.pb([("", leaf, None)], unixfs(T_FILE, data=b"head-", filesize=9, blocksizes=[4]))
    seeds["good-file-own-data"] = seed(dag, dag.directory([("own.txt", f)]))

    dag = Dag()
    empty = dag.raw(b"")
    nested = dag.directory([("empty-dir", dag.directory([])), ("empty.txt", empty), ("l", dag.symlink(b"../x"))])
    seeds["good-nested-empties"] = seed(dag, dag.directory([("d", nested), ("ünïcödé ✓.txt", dag.raw(b"u\n"))]))

    # Shared children within the limits: 2^5 = 32 entries from 6 blocks.
    dag, root = make_cars.dup_fanout(5)
    seeds["good-shared-5-levels"] = seed(dag, root)

    dag = Dag()
    seeds["good-symlink-root"] = seed(dag, dag.symlink(b"target"))
    seeds["good-raw-root"] = frame([(Dag().raw(b"just bytes").cid, b"just bytes")])
    seeds["good-empty-dir"] = seed(dag, dag.directory([]))

    for name in ("bucket.car", "global-snapshot.car"):
        path = os.path.join(TESTDATA, name)
        _, blocks = car_blocks(path)
        seeds["export-" + name[: -len(".car")]] = frame(blocks)
    return seeds


# ---------------------------------------------------------------- hostile shapes

def chain(dag, node, size, n):
    """`n` single-link file nodes stacked over `node` (a file of `size` bytes)."""
    for _ in range(n):
        node = dag.file([node], sizes=[size])
    return node


def hostile_trees():
    seeds = {}
    for name, _defect, _expect, build in make_cars.CASES:
        if name in ("good-small", "good-hamt", "deep-nesting"):
            continue
        dag, root = build()
        seeds["hostile-" + name] = seed(dag, root)

    dag = Dag(version=0)
    node = dag.directory([("f", dag.raw(b"bottom\n"))])
    for _ in range(99):
        node = dag.directory([("d", node)])
    seeds["hostile-deep-nesting-100"] = seed(dag, node)

    # File DAGs at the depth limit: n dag-pb levels over a raw leaf. The checker allows 256,
    # the reader 255 (see the fuzz report); 255 must pass both.
    for n in (255, 256, 257):
        dag = Dag()
        f = chain(dag, dag.raw(b"deep\n"), 5, n)
        seeds["depth-file-%d-levels" % n] = seed(dag, dag.directory([("deep.bin", f)]))

    # A 100-level file "a", and "b": 200 more levels over the same file. The checker meets "a"
    # first and remembers its size, then finds it again 200 levels down without its height.
    dag = Dag()
    shallow = chain(dag, dag.raw(b"deep\n"), 5, 100)
    deep = chain(dag, shallow, 5, 200)
    seeds["depth-file-reused-deeper"] = seed(dag, dag.directory([("a", shallow), ("b", deep)]))

    # Describes far more than it holds. 100 links to an empty leaf, four levels: 10^8 empty
    # leaves in 5 blocks, a file of 0 bytes. And a 1-byte leaf doubled 40 times: 1 TiB.
    dag = Dag()
    node, size = dag.raw(b""), 0
    for _ in range(4):
        node = dag.file([node] * 100, sizes=[size] * 100)
    seeds["amplify-empty-leaves"] = seed(dag, dag.directory([("empty.bin", node)]))
    dag = Dag()
    node, size = dag.raw(b"x"), 1
    for _ in range(40):
        node = dag.file([node, node], sizes=[size, size])
        size *= 2
    seeds["amplify-doubling-1tib"] = seed(dag, dag.directory([("big.bin", node)]))

    # A file whose children are a directory with blocksize 0, and a file node with no Data.
    dag = Dag()
    sub = dag.directory([])
    seeds["hostile-file-child-empty-dir"] = seed(
        dag, dag.directory([("x", dag.pb([("", sub, None)], unixfs(T_FILE, filesize=0, blocksizes=[0])))])
    )
    dag = Dag()
    bare = Node(dag.put(pb_node([], None)), 0)
    seeds["hostile-bare-pb-node"] = seed(dag, dag.directory([("bare", bare)]))

    # HAMT link names whose byte 2 is inside a UTF-8 character: the reader slices name[2..].
    dag = Dag()
    leaf = dag.raw(b"x")
    seeds["hostile-hamt-name-split-utf8"] = seed(dag, dag.hamt([("1\u00e9", leaf)], bytes([2])))

    # Root directories that look like global snapshots (they hold `.ipfs-kit`), which
    # `restore --from-cid` treats differently: no entry for the bucket, or a file under it.
    dag = Dag()
    meta = dag.directory([("buckets", dag.directory([]))])
    seeds["global-without-bucket"] = seed(dag, dag.directory([(".ipfs-kit", meta), ("other", dag.directory([]))]))
    dag = Dag()
    meta = dag.directory([("buckets", dag.directory([]))])
    seeds["global-bucket-is-file"] = seed(dag, dag.directory([(".ipfs-kit", meta), ("b", dag.raw(b"not a dir"))]))
    dag = Dag()
    bad_index = dag.raw(b"PAR1 this is not a parquet file PAR1")
    meta = dag.directory([("buckets", dag.directory([("b_vfs.parquet", bad_index)]))])
    inner = dag.directory([("f.txt", dag.raw(b"f\n"))])
    seeds["global-bad-index"] = seed(dag, dag.directory([(".ipfs-kit", meta), ("b", inner)]))

    # A global snapshot directory whose index for `b` is 8 GiB of one shared 1 KiB leaf (5 KB of
    # blocks): restore reads the index whole into memory.
    dag = Dag()
    node, size = dag.raw(b"x" * 1024), 1024
    for _ in range(23):
        node = dag.file([node, node], sizes=[size, size])
        size *= 2
    meta = dag.directory([("buckets", dag.directory([("b_vfs.parquet", node)]))])
    inner = dag.directory([("f.txt", dag.raw(b"f\n"))])
    seeds["global-index-8gib"] = seed(dag, dag.directory([(".ipfs-kit", meta), ("b", inner)]))

    # Framing edge cases: a length past the end, a truncated varint, an empty raw root.
    seeds["frame-length-past-end"] = bytes([KIND_PB]) + varint(1000) + b"\x0a\x02\x08\x01"
    seeds["frame-bad-varint"] = bytes([KIND_PB]) + b"\xff" * 12
    seeds["frame-empty-raw"] = bytes([KIND_RAW, 0])
    # A directory linking, as CIDv1, a child stored under its CIDv0 (one multihash, two CIDs).
    dag = Dag(version=0)
    child = dag.directory([("x", dag.raw(b"x"))])
    parent = pb_node([pb_link(b"\x01\x70" + child.cid, "c", child.tsize)], unixfs(T_DIRECTORY))
    seeds["cid-v1-link-to-v0-block"] = frame([(cid_v1(DAG_PB, parent), parent)] + dag.in_order(child.cid))
    return seeds


# Shapes a target fails on today: they are kept in that target's seeds as `regress-*` files
# (see the fuzz report), so the generated set leaves them out there.
REGRESSIONS = {
    "unixfs_tree": {"depth-file-256-levels", "depth-file-reused-deeper"},
    "car_import": {"global-without-bucket", "global-bucket-is-file", "global-bad-index", "global-index-8gib"},
}


def dag_seeds(target=None):
    seeds = good_trees()
    seeds.update(hostile_trees())
    for name in REGRESSIONS.get(target, ()):
        del seeds[name]
    return seeds


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_dag_seeds.py OUTDIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in sorted(dag_seeds().items()):
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
