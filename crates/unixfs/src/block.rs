//! Blocks and where they go: CID construction, the `BlockSink` the importer writes to and the
//! `BlockSource` the reader pulls from.
//!
//! These two traits are the whole contract between UnixFS and storage, so this crate knows
//! nothing of block stores, CAR files or buckets. `NullSink` makes `--only-hash` a sink that
//! throws blocks away instead of a separate code path.

use std::collections::{HashMap, HashSet};

use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

/// The dag-pb codec.
pub const DAG_PB: u64 = 0x70;
/// The raw codec, for raw leaves.
pub const RAW: u64 = 0x55;
/// The sha2-256 multihash code.
pub const SHA2_256: u64 = 0x12;
/// The identity multihash code (inline CIDs).
pub const IDENTITY: u64 = 0x00;

/// The CID of `bytes` under `codec`, hashed with sha2-256.
///
/// CIDv0 can only name dag-pb; for any other codec a version 0 request yields CIDv1, as Kubo does
/// for raw leaves under `--cid-version=0 --raw-leaves`.
pub fn sha256_cid(version: u8, codec: u64, bytes: &[u8]) -> Cid {
    cid_from_digest(version, codec, &Sha256::digest(bytes).into())
}

/// The CID for an already computed sha2-256 digest.
pub fn cid_from_digest(version: u8, codec: u64, digest: &[u8; 32]) -> Cid {
    let mh = Multihash::wrap(SHA2_256, digest).expect("32 bytes fit a multihash");
    if version == 0 && codec == DAG_PB {
        Cid::new_v0(mh).expect("sha2-256 is valid for CIDv0")
    } else {
        Cid::new_v1(codec, mh)
    }
}

/// Somewhere to put blocks as the importer makes them.
pub trait BlockSink {
    /// Stores one block. The importer may hand over the same CID more than once.
    fn put(&mut self, cid: &Cid, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;

    /// False when blocks are not kept, so the importer can skip building bytes it only hashes.
    fn keeps_blocks(&self) -> bool {
        true
    }
}

/// Somewhere to get blocks from. Bytes are returned unverified; the reader checks them.
pub trait BlockSource {
    /// The block's bytes, or `None` if this source does not have it.
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>>;

    /// The block's length, or `None` if this source does not have it. Sources that know
    /// lengths without reading (a store's index, a CAR's) override this, so checking a raw
    /// leaf's size does not read the leaf.
    fn block_len(&self, cid: &Cid) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.get(cid)?.map(|b| b.len() as u64))
    }
}

/// A sink that keeps nothing: hashing only.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl BlockSink for NullSink {
    fn put(&mut self, _: &Cid, _: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }

    fn keeps_blocks(&self) -> bool {
        false
    }
}

/// Passes blocks through to another sink and counts the distinct CIDs, as `ipfs dag stat` does.
#[derive(Debug, Default)]
pub struct CountingSink<S> {
    inner: S,
    seen: HashSet<Cid>,
}

impl<S: BlockSink> CountingSink<S> {
    pub fn new(inner: S) -> Self {
        CountingSink { inner, seen: HashSet::new() }
    }

    /// The number of distinct blocks put so far.
    pub fn unique_blocks(&self) -> usize {
        self.seen.len()
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: BlockSink> BlockSink for CountingSink<S> {
    fn put(&mut self, cid: &Cid, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.seen.insert(*cid);
        self.inner.put(cid, bytes)
    }

    fn keeps_blocks(&self) -> bool {
        self.inner.keeps_blocks()
    }
}

/// Blocks in a hash map: for tests and small in-memory DAGs.
#[derive(Debug, Default, Clone)]
pub struct MemoryBlocks {
    blocks: HashMap<Cid, Vec<u8>>,
}

impl MemoryBlocks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Mutable access, so tests can corrupt or drop a block.
    pub fn blocks_mut(&mut self) -> &mut HashMap<Cid, Vec<u8>> {
        &mut self.blocks
    }
}

impl BlockSink for MemoryBlocks {
    fn put(&mut self, cid: &Cid, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.blocks.entry(*cid).or_insert_with(|| bytes.to_vec());
        Ok(())
    }
}

impl BlockSource for MemoryBlocks {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.blocks.get(cid).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_cid_of_hello_world() {
        let cid = sha256_cid(1, RAW, b"hello world");
        assert_eq!(cid.to_string(), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
    }

    #[test]
    fn version_zero_only_for_dag_pb() {
        assert_eq!(sha256_cid(0, DAG_PB, b"").version(), cid::Version::V0);
        assert_eq!(sha256_cid(0, RAW, b"").version(), cid::Version::V1);
    }
}
