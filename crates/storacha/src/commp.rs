//! The Filecoin piece commitment (commP) of a blob, streamed, and its piece CID as the JS
//! client writes it (CIDv1 raw, multihash 0x1011 `fr32-sha2-256-trunc254-padded-binary-tree`,
//! digest `varint(padding) ‖ height ‖ root`).
//!
//! The payload is cut into 127-byte quads, each fr32-expanded to four 32-byte leaves whose top
//! two bits are zero; the quad count is rounded up to a power of two with zero quads, and a
//! binary SHA-256 tree (last byte `&= 0x3f`, "trunc254") is built over the leaves. Only one
//! partial quad and one pending node per tree level are held, and the zero padding is never
//! materialised: a zero subtree of height `i` has a fixed root, computed once.

use std::io::Write;

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

/// Multihash code of `fr32-sha2-256-trunc254-padded-binary-tree`.
pub const FR32_SHA256_TRUNC254_PADDED_TREE: u64 = 0x1011;
/// Multicodec raw.
const RAW: u64 = 0x55;
const QUAD: usize = 127;

/// Streams a payload and yields its piece CID.
pub struct PieceHasher {
    quad: [u8; QUAD],
    filled: usize,
    len: u64,
    /// `levels[i]` is a left node of height `i` awaiting its right sibling.
    levels: Vec<Option<[u8; 32]>>,
}

impl Default for PieceHasher {
    fn default() -> Self {
        PieceHasher { quad: [0; QUAD], filled: 0, len: 0, levels: Vec::new() }
    }
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(left);
    h.update(right);
    let mut out: [u8; 32] = h.finalize().into();
    out[31] &= 0x3f;
    out
}

/// Spreads 127 bytes (1016 bits) over four 254-bit values in 32-byte slots.
fn fr32(s: &[u8; QUAD]) -> [u8; 128] {
    let mut o = [0u8; 128];
    o[..32].copy_from_slice(&s[..32]);
    o[31] &= 0x3f;
    for i in 32..64 {
        o[i] = (s[i] << 2) | (s[i - 1] >> 6);
    }
    o[63] &= 0x3f;
    for i in 64..96 {
        o[i] = (s[i] << 4) | (s[i - 1] >> 4);
    }
    o[95] &= 0x3f;
    for i in 96..127 {
        o[i] = (s[i] << 6) | (s[i - 1] >> 2);
    }
    o[127] = s[126] >> 2;
    o
}

impl PieceHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        while !data.is_empty() {
            let n = (QUAD - self.filled).min(data.len());
            self.quad[self.filled..self.filled + n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
            if self.filled == QUAD {
                self.push_quad();
            }
        }
    }

    fn push_quad(&mut self) {
        let expanded = fr32(&self.quad);
        for leaf in expanded.chunks_exact(32) {
            self.push(0, leaf.try_into().expect("32 bytes"));
        }
        self.quad = [0; QUAD];
        self.filled = 0;
    }

    fn push(&mut self, mut level: usize, mut hash: [u8; 32]) {
        loop {
            if self.levels.len() <= level {
                self.levels.resize(level + 1, None);
            }
            match self.levels[level].take() {
                Some(left) => {
                    hash = node(&left, &hash);
                    level += 1;
                }
                None => {
                    self.levels[level] = Some(hash);
                    return;
                }
            }
        }
    }

    /// The piece CID.
    pub fn finish(mut self) -> Cid {
        let len = self.len;
        if self.filled > 0 {
            self.push_quad();
        }
        let quads = len.div_ceil(QUAD as u64).max(1).next_power_of_two();
        let padding = quads * QUAD as u64 - len;
        let height = (quads * 4).trailing_zeros() as usize;
        let mut zero = [0u8; 32];
        let mut carry: Option<[u8; 32]> = None;
        for i in 0..height {
            let left = self.levels.get_mut(i).and_then(Option::take);
            carry = match (left, carry) {
                (Some(l), Some(r)) => Some(node(&l, &r)),
                (Some(l), None) => Some(node(&l, &zero)),
                (None, Some(c)) => Some(node(&c, &zero)),
                (None, None) => None,
            };
            zero = node(&zero, &zero);
        }
        let root = carry.or_else(|| self.levels.get_mut(height).and_then(Option::take)).unwrap_or(zero);
        piece_cid(padding, height as u8, &root)
    }
}

impl Write for PieceHasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The v2 piece CID for a tree of `height` over a payload padded by `padding` bytes.
pub fn piece_cid(padding: u64, height: u8, root: &[u8; 32]) -> Cid {
    let mut digest = Vec::with_capacity(43);
    ipfs_kit_ipld::varint::put(&mut digest, padding);
    digest.push(height);
    digest.extend_from_slice(root);
    Cid::new_v1(RAW, Multihash::wrap(FR32_SHA256_TRUNC254_PADDED_TREE, &digest).expect("43 bytes fit"))
}

/// The piece CID of an in-memory payload.
pub fn piece_of(data: &[u8]) -> Cid {
    let mut h = PieceHasher::new();
    h.update(data);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_does_not_change_the_piece() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut h = PieceHasher::new();
        for chunk in data.chunks(13) {
            h.update(chunk);
        }
        assert_eq!(h.finish(), piece_of(&data));
        assert_ne!(piece_of(&data), piece_of(&data[1..]));
    }

    #[test]
    fn a_full_power_of_two_needs_no_padding() {
        let cid = piece_of(&[1u8; 127 * 4]);
        let digest = cid.hash().digest();
        assert_eq!((digest[0], digest[1]), (0, 4));
    }
}
