//! Planning and writing CAR files of a DAG in the block store.
//!
//! Block order (documented, deterministic): depth-first, pre-order from the root, children in
//! the order of the node's links, each block at its first occurrence only. The same DAG gives
//! the same blocks in the same order, so the same bytes and the same CAR CID. A reader streaming
//! the CAR meets every directory before its entries, as with Kubo's `dag export`.
//!
//! A plan is made first, from the DAG's dag-pb nodes alone (a raw leaf's size is its link's
//! `Tsize`), so `prepare-car` costs no leaf reads, shards can be cut before writing, and a
//! CARv2's payload size is known up front (the writer never seeks, so stdout works).
//! Writing then reads each block, checks it against its CID and its planned size, and streams
//! it out. `--since` excludes every block the older DAG reaches: since blocks are named by
//! their hashes, a subtree already there is skipped whole.

use std::collections::HashSet;
use std::io::Write;

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;
use ipfs_kit_car::{CarHasher, CarV2Writer, CarWriter, header_len, section_len};
use ipfs_kit_unixfs::DagReader;
use ipfs_kit_unixfs::block::{DAG_PB, IDENTITY};
use ipfs_kit_unixfs::pb::PbNode;

use crate::error::BucketError;

/// One block in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedBlock {
    pub cid: Cid,
    pub len: u64,
}

/// A run of consecutive planned blocks that goes into one CAR file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardPlan {
    pub first: usize,
    pub count: usize,
    /// The shard file's size in bytes (CARv1, or CARv2 with its index).
    pub bytes: u64,
}

/// What an export will write.
#[derive(Debug, Clone)]
pub struct CarPlan {
    pub root: Cid,
    pub blocks: Vec<PlannedBlock>,
    pub block_bytes: u64,
    pub shards: Vec<ShardPlan>,
    pub v2: bool,
}

/// Size of a CARv2 with the given payload and block count: pragma and header, payload, then
/// go-car's sorted index (codec varint, group count, per group code + bucket count, per bucket
/// width + length, then digest + offset per block; all our blocks are sha2-256).
fn v2_len(payload: u64, blocks: u64) -> u64 {
    let index = if blocks == 0 { 2 + 4 } else { 2 + 4 + 8 + 4 + 4 + 8 + blocks * (32 + 8) };
    ipfs_kit_car::V2_DATA_OFFSET + payload + index
}

/// Walks the DAG under `root` in export order. `skip` says which blocks the receiver has.
pub fn plan(store: &BlockStore, root: &Cid, skip: Option<&HashSet<Vec<u8>>>) -> Result<Vec<PlannedBlock>, BucketError> {
    let reader = DagReader::new(store);
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<(Cid, Option<u64>)> = vec![(*root, None)];
    while let Some((cid, tsize)) = stack.pop() {
        let mh = cid.hash().to_bytes();
        if cid.hash().code() == IDENTITY || skip.is_some_and(|s| s.contains(&mh)) || !seen.insert(mh) {
            continue;
        }
        if cid.codec() == DAG_PB {
            let bytes = reader.block(&cid)?;
            let node = PbNode::decode(&bytes).map_err(|source| ipfs_kit_unixfs::ReadError::Decode { cid, source })?;
            stack.extend(node.links.iter().rev().map(|l| (l.cid, l.tsize)));
            out.push(PlannedBlock { cid, len: bytes.len() as u64 });
        } else {
            let len = match tsize {
                Some(len) => len,
                None => store.block_len(&cid)?.ok_or(ipfs_kit_unixfs::ReadError::MissingBlock { cid })?,
            };
            out.push(PlannedBlock { cid, len });
        }
    }
    Ok(out)
}

impl CarPlan {
    /// Cuts `blocks` into shards of at most `shard_size` bytes each (one shard without a size).
    pub fn new(root: Cid, blocks: Vec<PlannedBlock>, shard_size: Option<u64>, v2: bool) -> Result<Self, BucketError> {
        let header = header_len(&[root]);
        let file_len = |payload: u64, count: usize| if v2 { v2_len(payload, count as u64) } else { payload };
        let mut shards = Vec::new();
        let (mut first, mut payload) = (0, header);
        for (i, b) in blocks.iter().enumerate() {
            let section = section_len(&b.cid, b.len);
            if let Some(limit) = shard_size {
                if file_len(header + section, 1) > limit {
                    return Err(BucketError::ShardTooSmall { limit, needed: file_len(header + section, 1) });
                }
                if file_len(payload + section, i + 1 - first) > limit {
                    shards.push(ShardPlan { first, count: i - first, bytes: file_len(payload, i - first) });
                    (first, payload) = (i, header);
                }
            }
            payload += section;
        }
        shards.push(ShardPlan { first, count: blocks.len() - first, bytes: file_len(payload, blocks.len() - first) });
        let block_bytes = blocks.iter().map(|b| b.len).sum();
        Ok(CarPlan { root, blocks, block_bytes, shards, v2 })
    }

    pub fn total_bytes(&self) -> u64 {
        self.shards.iter().map(|s| s.bytes).sum()
    }

    /// Writes shard `k` to `out`, reading and checking each block; returns the shard's CAR CID.
    pub fn write_shard(&self, store: &BlockStore, k: usize, out: &mut dyn Write) -> Result<Cid, BucketError> {
        let shard = self.shards[k];
        let roots = [self.root];
        let blocks = &self.blocks[shard.first..shard.first + shard.count];
        let hasher = CarHasher::new(out);
        let reader = DagReader::new(store);
        let hasher = if self.v2 {
            let payload = header_len(&roots) + blocks.iter().map(|b| section_len(&b.cid, b.len)).sum::<u64>();
            let mut w = CarV2Writer::new(hasher, &roots, payload)?;
            for b in blocks {
                w.put(&b.cid, &checked_block(&reader, b)?)?;
            }
            w.finish()?.0
        } else {
            let mut w = CarWriter::new(hasher, &roots)?;
            for b in blocks {
                w.put(&b.cid, &checked_block(&reader, b)?)?;
            }
            w.finish()?.0
        };
        let (_, cid) = hasher.finish();
        Ok(cid)
    }
}

/// A block read back, verified against its CID and against the size the plan gave it.
fn checked_block(reader: &DagReader<'_>, b: &PlannedBlock) -> Result<Vec<u8>, BucketError> {
    let bytes = reader.block(&b.cid)?;
    if bytes.len() as u64 != b.len {
        return Err(BucketError::Incomplete(format!(
            "block {} is {} bytes but its link's Tsize says {}; the DAG's sizes are wrong",
            b.cid,
            bytes.len(),
            b.len
        )));
    }
    Ok(bytes)
}
