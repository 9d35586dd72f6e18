//! HAMT-sharded directories, as Kubo (boxo) and Helia write them.
//!
//! Each name is hashed with murmur3-x64-64 (the first half of murmur3 x64 128, seed 0, read big
//! endian: UnixFS hash type 0x22). With fanout 256 each level consumes one byte of that hash. A
//! slot holding one entry links to it as `"%02X" + name`; a slot shared by several entries links
//! to a child shard named `"%02X"`. Building from the full entry set gives the same shape as
//! Kubo's insert-one-by-one, because a child shard exists exactly where two names share a prefix.

use sha2::{Digest, Sha256};

use crate::block::{BlockSink, DAG_PB, cid_from_digest};
use crate::data::{DataType, UnixFsData};
use crate::error::ImportError;
use crate::file::{Node, put};
use crate::pb::{PbLink, PbNode};
use crate::profile::{HAMT_FANOUT, Profile};

/// The UnixFS `hashType` for murmur3-x64-64.
pub const MURMUR3_X64_64: u64 = 0x22;

/// The first 64 bits of murmur3 x64 128 (seed 0), big endian: the HAMT key of a name.
pub fn hash_name(name: &[u8]) -> [u8; 8] {
    murmur3_x64_128(name, 0).0.to_be_bytes()
}

/// MurmurHash3 x64 128, returning `(h1, h2)`.
pub fn murmur3_x64_128(data: &[u8], seed: u64) -> (u64, u64) {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let (mut h1, mut h2) = (seed, seed);
    let mut blocks = data.chunks_exact(16);
    for block in &mut blocks {
        let k1 = u64::from_le_bytes(block[..8].try_into().expect("8 bytes"));
        let k2 = u64::from_le_bytes(block[8..].try_into().expect("8 bytes"));
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 = h1.rotate_left(27).wrapping_add(h2).wrapping_mul(5).wrapping_add(0x52dc_e729);
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 = h2.rotate_left(31).wrapping_add(h1).wrapping_mul(5).wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let (mut k1, mut k2) = (0u64, 0u64);
    for (i, &byte) in tail.iter().enumerate() {
        if i < 8 {
            k1 |= u64::from(byte) << (8 * i);
        } else {
            k2 |= u64::from(byte) << (8 * (i - 8));
        }
    }
    if tail.len() > 8 {
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    }
    if !tail.is_empty() {
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    }
    h1 ^= data.len() as u64;
    h2 ^= data.len() as u64;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The link-name prefix of a slot.
pub fn slot_prefix(slot: usize) -> String {
    format!("{slot:02X}")
}

/// A directory entry on its way into a shard.
pub struct Entry<'a> {
    pub name: &'a str,
    pub node: Node,
    hash: [u8; 8],
}

impl<'a> Entry<'a> {
    pub fn new(name: &'a str, node: Node) -> Self {
        Entry { name, node, hash: hash_name(name.as_bytes()) }
    }
}

/// Builds the shard tree for `entries` and returns its root.
pub fn build(entries: Vec<Entry<'_>>, profile: &Profile, sink: &mut dyn BlockSink) -> Result<Node, ImportError> {
    build_level(entries, 0, profile, sink)
}

fn build_level(
    entries: Vec<Entry<'_>>,
    depth: usize,
    profile: &Profile,
    sink: &mut dyn BlockSink,
) -> Result<Node, ImportError> {
    if depth >= 8 {
        let names = entries.iter().map(|e| e.name.to_owned()).collect();
        return Err(ImportError::HamtCollision { names });
    }
    let mut slots: Vec<Vec<Entry<'_>>> = (0..HAMT_FANOUT).map(|_| Vec::new()).collect();
    for entry in entries {
        slots[entry.hash[depth] as usize].push(entry);
    }
    let mut bitfield = [0u8; HAMT_FANOUT / 8];
    let mut links = Vec::new();
    for (slot, mut group) in slots.into_iter().enumerate() {
        let link = match group.len() {
            0 => continue,
            1 => {
                let entry = group.pop().expect("one entry");
                PbLink::named(format!("{}{}", slot_prefix(slot), entry.name), entry.node.cid, entry.node.tsize)
            }
            _ => {
                let child = build_level(group, depth + 1, profile, sink)?;
                PbLink::named(slot_prefix(slot), child.cid, child.tsize)
            }
        };
        // Big-endian bit order: slot 0 is the lowest bit of the last byte.
        bitfield[HAMT_FANOUT / 8 - 1 - slot / 8] |= 1 << (slot % 8);
        links.push(link);
    }
    // Kubo and Helia both write the bitfield without its leading zero bytes.
    let first_set = bitfield.iter().position(|&b| b != 0).unwrap_or(bitfield.len());
    let mut data = UnixFsData::new(DataType::HamtShard);
    data.data = Some(&bitfield[first_set..]);
    data.hash_type = Some(MURMUR3_X64_64);
    data.fanout = Some(HAMT_FANOUT as u64);
    let node = PbNode { links, data: Some(data.encode()) };
    let bytes = node.encode();
    let cid = cid_from_digest(profile.cid_version, DAG_PB, &Sha256::digest(&bytes).into());
    put(sink, &cid, &bytes)?;
    let tsize = bytes.len() as u64 + node.links.iter().filter_map(|l| l.tsize).sum::<u64>();
    Ok(Node { cid, filesize: 0, tsize })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_reference_values() {
        assert_eq!(murmur3_x64_128(b"", 0), (0, 0));
        // The reference C implementation's MurmurHash3_x64_128("hello", 0).
        assert_eq!(murmur3_x64_128(b"hello", 0), (0xcbd8_a7b3_41bd_9b02, 0x5b1e_906a_48ae_1d19));
    }

    #[test]
    fn slot_prefix_is_two_uppercase_hex_digits() {
        assert_eq!(slot_prefix(0), "00");
        assert_eq!(slot_prefix(10), "0A");
        assert_eq!(slot_prefix(255), "FF");
    }
}
