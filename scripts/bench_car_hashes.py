#!/usr/bin/env python3
"""`car verify` throughput by hash function: a CAR of 1 MiB random raw blocks hashed with
blake2b-256 (Filecoin's CIDs) against the same blocks hashed with sha2-256 (IPFS's).

    python3 scripts/bench_car_hashes.py [--gib 1] [--runs 3] [--bin target/release/ipfs-kit]

Writes both CARs to a temp folder (2 × GiB of disk), runs `ipfs-kit car verify` on each --runs
times, and prints the best wall time and MiB/s of each. The CARs are made here with hashlib, so
the reader is checked against an independent hasher on the way. The page cache is warm
(each CAR was just written), so this measures hashing and parsing, not the disk.
"""
import argparse
import hashlib
import os
import subprocess
import tempfile
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz"))
from make_seeds import varint  # noqa: E402

BLOCK = 1 << 20


def cid(code, digest):
    """CIDv1, raw codec, multihash (code, digest)."""
    return varint(1) + varint(0x55) + varint(code) + varint(len(digest)) + digest


def header(root):
    link = b"\x00" + root
    body = b"\xa2\x65roots\x81\xd8\x2a" + bytes([0x58, len(link)]) + link + b"\x67version\x01"
    return varint(len(body)) + body


def make(path, code, digest_of, blocks):
    """A CARv1 of `blocks` random 1 MiB raw blocks; the first one is the root."""
    with open(path, "wb") as out:
        for i in range(blocks):
            data = os.urandom(BLOCK)
            c = cid(code, digest_of(data))
            if i == 0:
                out.write(header(c))
            out.write(varint(len(c) + len(data)) + c + data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gib", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=os.environ.get("IPFS_KIT_BIN", "target/release/ipfs-kit"))
    args = ap.parse_args()
    blocks = int(args.gib * 1024)
    hashes = [
        ("sha2-256", 0x12, lambda d: hashlib.sha256(d).digest()),
        ("blake2b-256", 0xB220, lambda d: hashlib.blake2b(d, digest_size=32).digest()),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, code, digest_of in hashes:
            path = os.path.join(tmp, f"{name}.car")
            make(path, code, digest_of, blocks)
            size = os.path.getsize(path)
            best = None
            for _ in range(args.runs):
                start = time.perf_counter()
                out = subprocess.run([args.bin, "car", "verify", path], capture_output=True, text=True)
                elapsed = time.perf_counter() - start
                if out.returncode != 0:
                    raise SystemExit(f"{name}: car verify failed: {out.stderr.strip()}")
                best = elapsed if best is None else min(best, elapsed)
            print(f"{name:12} {size / 2**20:8.0f} MiB  best of {args.runs}: {best:6.2f} s  {size / 2**20 / best:7.0f} MiB/s")
            os.remove(path)


if __name__ == "__main__":
    main()
