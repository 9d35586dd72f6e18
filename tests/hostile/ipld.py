"""Small, spec-derived IPLD encoders for building test CARs (python3 stdlib only).

The primitives follow fuzz/make_seeds.py (varints, multihash, CIDs, CARv1 header and sections,
dag-pb, UnixFS Data) and add what the hostile corpus needs on top: CID text forms, MurmurHash3
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
from collections import namedtuple

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12

# UnixFS Data.Type
T_RAW, T_DIRECTORY, T_FILE, T_METADATA, T_SYMLINK, T_HAMT = 0, 1, 2, 3, 4, 5
MURMUR3_X64_64 = 0x22
HAMT_FANOUT = 256

M64 = (1 << 64) - 1


# ---------------------------------------------------------------- varints, multihash, CIDs

def varint(n):
    if n < 0 or n > M64:
        raise ValueError(n)
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def multihash(code, digest):
    return varint(code) + varint(len(digest)) + digest


def cid_v1(codec, data):
    return varint(1) + varint(codec) + multihash(SHA2_256, hashlib.sha256(data).digest())


def cid_v0(data):
    return multihash(SHA2_256, hashlib.sha256(data).digest())


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
    # tag 42, byte string with the 0x00 multibase-identity prefix
    return cbor_head(6, 42) + cbor_head(2, len(cid) + 1) + b"\x00" + cid


def car_header(roots):
    body = (cbor_head(5, 2) + cbor_text("roots") + cbor_head(4, len(roots))
            + b"".join(cbor_cid(c) for c in roots) + cbor_text("version") + cbor_head(0, 1))
    return varint(len(body)) + body


def section(cid, data):
    return varint(len(cid) + len(data)) + cid + data


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
    """links: encoded PBLinks, written in the order given (the caller sorts)."""
    out = b"".join(links)
    if data is not None:
        out += pb_bytes(1, data)
    return out


def unixfs(kind, data=None, filesize=None, blocksizes=(), hash_type=None, fanout=None):
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
    return out


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

    def car(self, root):
        """CARv1 bytes: header with `root`, then blocks depth-first pre-order, each once."""
        out = [car_header([root])]
        seen = set()
        stack = [iter([root])]
        while stack:
            cid = next(stack[-1], None)
            if cid is None:
                stack.pop()
                continue
            if cid in seen:
                continue
            seen.add(cid)
            data, children = self.blocks[cid]
            out.append(section(cid, data))
            if children:
                stack.append(iter(children))
        return b"".join(out), len(seen)
