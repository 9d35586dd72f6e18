#!/usr/bin/env python3
"""Turns a unixfs_tree / car_import fuzz input into the CARv1 the car_import target builds from it,
to reproduce a finding with the CLI (python3 stdlib only):

    python3 fuzz/frame_to_car.py fuzz/seeds/car_import/regress-global-without-bucket /tmp/x.car
    ipfs-kit --home /tmp/h car import /tmp/x.car --bucket b

The framing is fuzz/src/lib.rs's: per block `u8 kind | LEB128 length | bytes`, kind % 4 = 1
dag-pb CIDv1, 2 CIDv0, else raw CIDv1; sha2-256; the first block is the root.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "hostile"))

from ipld import DAG_PB, RAW, car_header, cid_v0, cid_v1, section  # noqa: E402


def blocks(data):
    out, i = [], 0
    while i < len(data):
        kind, i = data[i], i + 1
        n = shift = 0
        for _ in range(10):
            if i == len(data):
                return out
            b, i = data[i], i + 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        else:
            return out
        body, i = data[i : i + n], min(i + n, len(data))
        cid = {1: lambda: cid_v1(DAG_PB, body), 2: lambda: cid_v0(body)}.get(kind % 4, lambda: cid_v1(RAW, body))()
        out.append((cid, body))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: frame_to_car.py INPUT OUT.car")
    with open(sys.argv[1], "rb") as f:
        bs = blocks(f.read())
    if not bs:
        sys.exit("no blocks in the input")
    with open(sys.argv[2], "wb") as f:
        f.write(car_header([bs[0][0]]) + b"".join(section(c, d) for c, d in bs))
    print("%d blocks, root %s" % (len(bs), bs[0][0].hex()))


if __name__ == "__main__":
    main()
