"""Small, spec-derived IPLD encoders for building test CARs (python3 stdlib only).

The primitives (varints, multihash, CIDs, CARv1 header and sections, dag-pb, UnixFS Data) are
fuzz/make_seeds.py's, imported from there; this module adds what the hostile corpus needs on top: CID text forms, MurmurHash3
x64 128 for HAMT slots, and a `Dag` that tracks cumulative Tsizes and writes a CARv1 in Kubo's
`dag export` order (depth-first pre-order from the root, each block at its first occurrence).

Nothing here imports the crates under test; every encoding is written from the specs:
  - unsigned-varint, multihash, CIDv0/CIDv1, multibase base32 / base58btc
  - CARv1 (DAG-CBOR header {roots, version})
  - dag-pb (links before data; link fields Hash, Name, Tsize; links sorted by name bytes)
  - UnixFS Data (fields in number order, blocksizes unpacked)
  - HAMT (murmur3-x64-64 = first 8 bytes of murmur3 x64 128, seed 0, big-endian; fanout 256;
    slot names "%02X"; big-endian bitfield without leading zero bytes)
"""

import base64
import hashlib
import struct
import os
import sys
from collections import namedtuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz"))
from make_seeds import (  # noqa: E402  (one set of spec-derived primitives for seeds and corpus)
    car_header, cbor_cid, cbor_head, cbor_text, cid_v0, cid_v1, multihash, pb_bytes, pb_link,
    pb_node, pb_varint, section, unixfs, varint,
)

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12

# UnixFS Data.Type
T_RAW, T_DIRECTORY, T_FILE, T_METADATA, T_SYMLINK, T_HAMT = 0, 1, 2, 3, 4, 5
MURMUR3_X64_64 = 0x22
HAMT_FANOUT = 256

M64 = (1 << 64) - 1


# ---------------------------------------------------------------- varints, multihash, CIDs









B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(b):
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def cid_str(cid):
    """The default text form: base58btc (Qm...) for CIDv0, multibase base32 (b...) for CIDv1."""
    if cid[0] == SHA2_256 and len(cid) == 34:
        return base58btc(cid)
    return "b" + base64.b32encode(cid).decode().lower().rstrip("=")


# ---------------------------------------------------------------- CARv1











# ---------------------------------------------------------------- dag-pb / UnixFS











# ---------------------------------------------------------------- murmur3 / HAMT

def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _fmix64(k):
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & M64
    return k ^ (k >> 33)


def murmur3_x64_128(data, seed=0):
    """MurmurHash3_x64_128, returning (h1, h2) as in the reference C code."""
    c1, c2 = 0x87C37B91114253D5, 0x4CF5AD432745937F
    h1 = h2 = seed
    nblocks = len(data) // 16
    for i in range(nblocks):
        k1, k2 = struct.unpack_from("<QQ", data, 16 * i)
        k1 = (_rotl((k1 * c1) & M64, 31) * c2) & M64
        h1 ^= k1
        h1 = (_rotl(h1, 27) + h2) & M64
        h1 = (h1 * 5 + 0x52DCE729) & M64
        k2 = (_rotl((k2 * c2) & M64, 33) * c1) & M64
        h2 ^= k2
        h2 = (_rotl(h2, 31) + h1) & M64
        h2 = (h2 * 5 + 0x38495AB5) & M64
    tail = data[16 * nblocks:]
    k1 = int.from_bytes(tail[:8], "little")
    k2 = int.from_bytes(tail[8:], "little")
    if len(tail) > 8:
        h2 ^= (_rotl((k2 * c2) & M64, 33) * c1) & M64
    if tail:
        h1 ^= (_rotl((k1 * c1) & M64, 31) * c2) & M64
    h1 ^= len(data)
    h2 ^= len(data)
    h1 = (h1 + h2) & M64
    h2 = (h2 + h1) & M64
    h1, h2 = _fmix64(h1), _fmix64(h2)
    h1 = (h1 + h2) & M64
    h2 = (h2 + h1) & M64
    return h1, h2


assert murmur3_x64_128(b"") == (0, 0)
assert murmur3_x64_128(b"hello") == (0xCBD8A7B341BD9B02, 0x5B1E906A48AE1D19)


def hamt_hash(name):
    """The HAMT key of a name: murmur3-x64-64, first 8 bytes big-endian (one byte per level)."""
    return murmur3_x64_128(name.encode() if isinstance(name, str) else name)[0].to_bytes(8, "big")


def hamt_slot(name, depth=0):
    return hamt_hash(name)[depth]


def bitfield(slots, fanout=HAMT_FANOUT):
    """Big-endian bitfield (slot 0 = lowest bit of the last byte), leading zero bytes dropped."""
    bits = bytearray(fanout // 8)
    for s in slots:
        bits[len(bits) - 1 - s // 8] |= 1 << (s % 8)
    return bytes(bits).lstrip(b"\0")


# ---------------------------------------------------------------- a DAG under construction

Node = namedtuple("Node", "cid tsize")


class Dag:
    """Blocks by CID, each with its child CIDs in link order, for writing a CAR."""

    def __init__(self, version=1):
        self.version = version  # CID version of dag-pb nodes; leaves are always raw CIDv1
        self.blocks = {}

    def put(self, data, codec=DAG_PB, children=()):
        cid = cid_v0(data) if (codec == DAG_PB and self.version == 0) else cid_v1(codec, data)
        self.blocks.setdefault(cid, (data, list(children)))
        return cid

    def raw(self, data):
        return Node(self.put(data, RAW), len(data))

    def pb(self, links, data):
        """links: [(name or None, Node, tsize override or None)], written in the order given."""
        enc = []
        total = 0
        for name, node, tsize in links:
            t = node.tsize if tsize is None else tsize
            enc.append(pb_link(node.cid, name, t))
            total += t
        block = pb_node(enc, data)
        return Node(self.put(block, DAG_PB, [n.cid for _, n, _ in links]), len(block) + total)

    def directory(self, entries, sort=True):
        """entries: [(name, Node)] or [(name, Node, tsize)]; sorted by name bytes unless told not to."""
        entries = [e if len(e) == 3 else (e[0], e[1], None) for e in entries]
        if sort:
            entries.sort(key=lambda e: e[0].encode())
        return self.pb(entries, unixfs(T_DIRECTORY))

    def file(self, children, filesize=None, blocksizes=None, sizes=None):
        """A file node over children (Nodes). `sizes` are the children's true byte lengths, used
        for the default filesize and blocksizes; pass filesize/blocksizes to lie."""
        if blocksizes is None:
            blocksizes = list(sizes)
        if filesize is None:
            filesize = sum(sizes)
        return self.pb([("", c, None) for c in children], unixfs(T_FILE, filesize=filesize, blocksizes=blocksizes))

    def symlink(self, target):
        return self.pb([], unixfs(T_SYMLINK, data=target))

    def hamt(self, links, bits, hash_type=MURMUR3_X64_64, fanout=HAMT_FANOUT):
        """One shard node. links: [(link name, Node)], sorted by name bytes here; bits: the
        Data.Data bitfield bytes (None: field absent)."""
        links = sorted(links, key=lambda e: e[0].encode())
        return self.pb([(n, node, None) for n, node in links],
                       unixfs(T_HAMT, data=bits, hash_type=hash_type, fanout=fanout))

    def hamt_directory(self, entries, depth=0):
        """A correct HAMT (as Kubo/boxo builds it from the full entry set). entries: [(name, Node)]."""
        slots = {}
        for name, node in entries:
            slots.setdefault(hamt_slot(name, depth), []).append((name, node))
        links = []
        for slot, group in sorted(slots.items()):
            if len(group) == 1:
                links.append(("%02X%s" % (slot, group[0][0]), group[0][1]))
            else:
                links.append(("%02X" % slot, self.hamt_directory(group, depth + 1)))
        return self.hamt(links, bitfield(slots))

    def in_order(self, root):
        """[(cid, data)] under `root` in `dag export` order: depth-first pre-order, each once."""
        out, seen, stack = [], set(), [iter([root])]
        while stack:
            cid = next(stack[-1], None)
            if cid is None:
                stack.pop()
                continue
            if cid in seen:
                continue
            seen.add(cid)
            data, children = self.blocks[cid]
            out.append((cid, data))
            if children:
                stack.append(iter(children))
        return out

    def car(self, root):
        """CARv1 bytes (header with `root`, then `in_order`) and the block count."""
        blocks = self.in_order(root)
        return car_header([root]) + b"".join(section(c, d) for c, d in blocks), len(blocks)
