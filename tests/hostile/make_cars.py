#!/usr/bin/env python3
"""Writes the hostile CAR corpus, deterministically (python3 stdlib only).

    python3 tests/hostile/make_cars.py OUTDIR

Every block is a correct sha2-256 block and every CID is canonical, so each CAR passes the
reader's hash checks: the defects are in the *shape* of the DAG (what it claims, how big it
expands, which names it brings). OUTDIR/cases.json lists the cases for run_hostile.py. Running
it twice gives byte-identical files.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from ipld import (  # noqa: E402
    Dag, T_FILE, bitfield, cid_str, hamt_slot, unixfs,
)

CASES = []


def case(name, defect, expect="refuse"):
    def register(fn):
        CASES.append((name, defect, expect, fn))
        return fn
    return register


# ---------------------------------------------------------------- control

@case("good-small", "control: a normal directory of two raw-leaf files as Kubo/Helia write it", "accept")
def good_small():
    dag = Dag()
    a = dag.raw(b"hello world\n")
    b = dag.raw(b"# notes\n\nnothing hostile here.\n")
    return dag, dag.directory([("hello.txt", a), ("notes.md", b)])


# `ipfs-kit hash` of the unpacked good-small tree must give back its root (the runner checks it).
HASH_MATCHES = {"good-small"}

# Commands that must accept a case refused by the others: a symlink root is a valid UnixFS DAG
# (verify checks it, ls prints its CID) that must never be unpacked or mounted as a bucket.
ACCEPTED_BY = {"symlink-root": ["verify", "ls"]}


# ---------------------------------------------------------------- expansion and depth

def dup_fanout(n):
    dag = Dag()
    node = dag.raw(b"leaf\n")
    for _ in range(n):
        node = dag.directory([("a", node), ("b", node)])
    return dag, node


case("dup-fanout-17", "names a and b share one child, 17 levels: 2^17 files from 18 blocks")(lambda: dup_fanout(17))
case("dup-fanout-24", "names a and b share one child, 24 levels: 2^24 files from 25 blocks")(lambda: dup_fanout(24))


@case("deep-nesting", "20,000 nested directories (one child each, CIDv0) over one small file")
def deep_nesting():
    dag = Dag(version=0)
    node = dag.directory([("f", dag.raw(b"bottom\n"))])
    for _ in range(20_000 - 1):
        node = dag.directory([("d", node)])
    return dag, node


@case("long-path", "40 nested directories with 255-byte names: paths over 10 KiB (PATH_MAX is 4096)")
def long_path():
    dag = Dag()
    node = dag.directory([("end.txt", dag.raw(b"far away\n"))])
    for i in range(40):
        name = "%03d" % (39 - i) + "L" * 252
        node = dag.directory([(name, node)])
    return dag, node


@case("deep-file", "a file DAG 300 levels deep (file node over file node ... over a raw leaf)")
def deep_file():
    dag = Dag()
    node = dag.raw(b"deep\n")
    for _ in range(300):
        node = dag.file([node], sizes=[5])
    return dag, dag.directory([("deep.bin", node)])


# ---------------------------------------------------------------- node types

@case("symlink-root", "the root is a UnixFS symlink to /etc")
def symlink_root():
    dag = Dag()
    return dag, dag.symlink(b"/etc")


@case("file-child-dir", "a file node whose second child is a UnixFS directory")
def file_child_dir():
    dag = Dag()
    leaf = dag.raw(b"abc")
    sub = dag.directory([("inner.txt", dag.raw(b"inside a file?\n"))])
    f = dag.pb([("", leaf, None), ("", sub, None)], unixfs(T_FILE, filesize=3, blocksizes=[3, 0]))
    return dag, dag.directory([("odd.bin", f)])


# ---------------------------------------------------------------- sizes that lie

@case("tsize-lie", "a 6-byte raw leaf linked with Tsize 999999")
def tsize_lie():
    dag = Dag()
    return dag, dag.directory([("six.txt", dag.raw(b"hello\n"), 999_999)])


@case("filesize-lie", "file node over leaves of 4 and 6 bytes claims filesize 1000, blocksizes [100, 900]")
def filesize_lie():
    dag = Dag()
    f = dag.file([dag.raw(b"aaaa"), dag.raw(b"bbbbbb")], filesize=1000, blocksizes=[100, 900])
    return dag, dag.directory([("lie.bin", f)])


@case("blocksizes-count", "file node with two links but one blocksizes entry (filesize is right)")
def blocksizes_count():
    dag = Dag()
    f = dag.file([dag.raw(b"aaaa"), dag.raw(b"bbbbbb")], filesize=10, blocksizes=[4])
    return dag, dag.directory([("count.bin", f)])


@case("huge-filesize", "file node claims filesize 2^63+5 over one 4-byte raw leaf")
def huge_filesize():
    dag = Dag()
    f = dag.file([dag.raw(b"tiny")], filesize=(1 << 63) + 5, blocksizes=[4])
    return dag, dag.directory([("huge.bin", f)])


# ---------------------------------------------------------------- HAMT shards

HAMT_NAMES = ["alpha.txt", "beta.txt", "gamma.txt", "delta.txt"]


def hamt_entries(dag):
    entries = [(n, dag.raw(("%s\n" % n).encode())) for n in HAMT_NAMES]
    slots = [hamt_slot(n) for n in HAMT_NAMES]
    assert len(set(slots)) == len(slots), "pick names with distinct first-level slots"
    return entries, slots


def hamt_links(entries):
    return [("%02X%s" % (hamt_slot(n), n), node) for n, node in entries]


@case("good-hamt", "control: a correct HAMT shard (murmur3-x64-64, fanout 256) over the same four entries", "accept")
def good_hamt():
    dag = Dag()
    entries, _ = hamt_entries(dag)
    return dag, dag.hamt_directory(entries)


@case("hamt-empty-bitfield", "HAMT shard with four entries but no bitfield (Data.Data absent)")
def hamt_empty_bitfield():
    dag = Dag()
    entries, _ = hamt_entries(dag)
    return dag, dag.hamt(hamt_links(entries), None)


@case("hamt-wrong-bitfield", "HAMT shard whose bitfield marks slots (each +1) that its links do not use")
def hamt_wrong_bitfield():
    dag = Dag()
    entries, slots = hamt_entries(dag)
    return dag, dag.hamt(hamt_links(entries), bitfield([(s + 1) % 256 for s in slots]))


@case("hamt-wrong-slot", "HAMT entry filed under a slot its name does not hash to (bitfield matches the links)")
def hamt_wrong_slot():
    dag = Dag()
    entries, slots = hamt_entries(dag)
    wrong = next(s for s in range(256) if s not in slots)
    links = hamt_links(entries[1:]) + [("%02X%s" % (wrong, entries[0][0]), entries[0][1])]
    return dag, dag.hamt(links, bitfield(slots[1:] + [wrong]))


@case("hamt-bad-fanout", "HAMT shard with fanout 3 (not a power of two)")
def hamt_bad_fanout():
    dag = Dag()
    entries, slots = hamt_entries(dag)
    return dag, dag.hamt(hamt_links(entries), bitfield(slots), fanout=3)


@case("hamt-bad-hashtype", "HAMT shard with fanout 256 but hashType 0x13 (not murmur3-x64-64)")
def hamt_bad_hashtype():
    dag = Dag()
    entries, slots = hamt_entries(dag)
    return dag, dag.hamt(hamt_links(entries), bitfield(slots), hash_type=0x13)


# ---------------------------------------------------------------- names

CONTROL_NAMES = ["new\nline.txt", "tab\tname.txt", "bell\x07.txt", "\x1b]0;pwned\x07"]


@case("control-names", "names with newline, tab, BEL and an ESC ]0; terminal-title sequence")
def control_names():
    dag = Dag()
    leaf = dag.raw(b"x\n")
    return dag, dag.directory([(n, leaf) for n in CONTROL_NAMES])


@case("dup-names", "a directory that lists the name same.txt twice (two different files)")
def dup_names():
    dag = Dag()
    return dag, dag.directory([("same.txt", dag.raw(b"first\n")), ("same.txt", dag.raw(b"second\n"))])


@case("unsorted-links", "a plain directory whose links are not sorted by name (not canonical dag-pb)")
def unsorted_links():
    dag = Dag()
    return dag, dag.directory([("b.txt", dag.raw(b"b\n")), ("a.txt", dag.raw(b"a\n"))], sort=False)


# ---------------------------------------------------------------- main

def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_cars.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = []
    for name, defect, expect, build in CASES:
        dag, root = build()
        data, blocks = dag.car(root.cid)
        file = name + ".car"
        with open(os.path.join(out, file), "wb") as f:
            f.write(data)
        cases.append({"name": name, "file": file, "root": cid_str(root.cid), "defect": defect,
                      "expect": expect, "blocks": blocks, "bytes": len(data),
                      "hash_matches": name in HASH_MATCHES,
                      "accepted_by": ACCEPTED_BY.get(name, []),
                      # names the runner must never see echoed raw on stdout or stderr
                      "hostile_names": CONTROL_NAMES if name == "control-names" else []})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    for c in cases:
        print("%-20s %-7s %4d blocks %9d bytes  %s" % (c["name"], c["expect"], c["blocks"], c["bytes"], c["root"]))


if __name__ == "__main__":
    main()
