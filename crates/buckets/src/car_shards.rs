//! CAR shards in the layout Storacha's JS client makes (`@storacha/upload-client`'s
//! `ShardingStream`), and a reader that streams one shard from the block store.
//!
//! The JS rule: blocks go in export order; a shard is closed when the next section would take
//! it past `shard_size` minus a root-less header; every shard but the last has an empty
//! `roots`, the last names the root; if that longer header pushes the last shard over the size,
//! its trailing blocks move to one more shard. Following it gives the same shard bytes, so the
//! same shard CIDs, as `uploadCAR` of our CAR.
//!
//! [`ShardReader`] reads a shard one block at a time, so a shard can be read twice (hashed,
//! then sent) without ever being held in memory.

use std::io::Read;

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;
use ipfs_kit_car::{CarWriter, header_len, section_len};
use ipfs_kit_unixfs::ReadError;

use crate::car_export::{CarPlan, PlannedBlock, ShardPlan};
use crate::error::BucketError;

/// The JS client's default shard size: 127 MiB, so a full shard fr32-pads to a 128 MiB piece.
pub const STORACHA_SHARD_SIZE: u64 = 133_169_152;

impl CarPlan {
    /// Cuts `blocks` into CARv1 shards as Storacha's JS client does (see the module notes).
    pub fn storacha(root: Cid, blocks: Vec<PlannedBlock>, shard_size: u64) -> Result<Self, BucketError> {
        let bare = header_len(&[]);
        let max = shard_size.saturating_sub(bare);
        let mut shards = Vec::new();
        let (mut first, mut len) = (0, 0u64);
        for (i, b) in blocks.iter().enumerate() {
            let section = section_len(&b.cid, b.len);
            if section > max {
                return Err(BucketError::ShardTooSmall { limit: shard_size, needed: bare + section });
            }
            if i > first && len + section > max {
                shards.push(ShardPlan { first, count: i - first, bytes: bare + len, rooted: false });
                (first, len) = (i, 0);
            }
            len += section;
        }
        let rooted = header_len(&[root]);
        let mut count = blocks.len() - first;
        if rooted + len > shard_size {
            // Move trailing blocks out until the rest fits with a root-less header.
            let overage = rooted + len - shard_size;
            let mut moved = 0;
            while moved < overage {
                count -= 1;
                if count == 0 {
                    let b = &blocks[first];
                    return Err(BucketError::ShardTooSmall {
                        limit: shard_size,
                        needed: rooted + section_len(&b.cid, b.len),
                    });
                }
                moved += section_len(&blocks[first + count].cid, blocks[first + count].len);
            }
            shards.push(ShardPlan { first, count, bytes: bare + len - moved, rooted: false });
            (first, len, count) = (first + count, moved, blocks.len() - first - count);
        }
        shards.push(ShardPlan { first, count, bytes: rooted + len, rooted: true });
        let block_bytes = blocks.iter().map(|b| b.len).sum();
        Ok(CarPlan { root, blocks, block_bytes, shards, v2: false })
    }

    /// Where each block's data lies in CARv1 shard `k`: (CID, offset, length), as the
    /// sharded-DAG index records it.
    pub fn data_offsets(&self, k: usize) -> Vec<(Cid, u64, u64)> {
        let shard = self.shards[k];
        let mut at = header_len(self.roots(k));
        let mut out = Vec::with_capacity(shard.count);
        for b in &self.blocks[shard.first..shard.first + shard.count] {
            let section = section_len(&b.cid, b.len);
            out.push((b.cid, at + section - b.len, b.len));
            at += section;
        }
        out
    }

    /// A reader of CARv1 shard `k`, block by block from `store`.
    pub fn shard_reader<'a>(&'a self, store: &'a BlockStore, k: usize) -> ShardReader<'a> {
        let shard = self.shards[k];
        let mut header = Vec::new();
        CarWriter::new(&mut header, self.roots(k)).expect("a header writes to memory");
        let blocks = &self.blocks[shard.first..shard.first + shard.count];
        ShardReader { store, blocks, next: 0, buf: header, at: 0, verify: false }
    }
}

/// Streams one shard: the header, then each block's section as it is read from the store,
/// checked against its planned length. Holds one section at a time.
pub struct ShardReader<'a> {
    store: &'a BlockStore,
    blocks: &'a [PlannedBlock],
    next: usize,
    buf: Vec<u8>,
    at: usize,
    verify: bool,
}

impl ShardReader<'_> {
    /// Also checks each block against its CID as it is read (`push --verify`).
    pub fn verifying(mut self, on: bool) -> Self {
        self.verify = on;
        self
    }

    /// Loads the next block's section into `buf`; false at the end.
    fn refill(&mut self) -> Result<bool, BucketError> {
        let Some(b) = self.blocks.get(self.next) else { return Ok(false) };
        self.next += 1;
        let data = self.store.get_block(&b.cid)?.ok_or(ReadError::MissingBlock { cid: b.cid })?;
        if data.len() as u64 != b.len {
            return Err(BucketError::WrongTsize { cid: b.cid, actual: data.len() as u64, planned: b.len });
        }
        if self.verify {
            ipfs_kit_unixfs::reader::verify_block(&b.cid, &data)?;
        }
        self.buf.clear();
        self.at = 0;
        let cid = b.cid.to_bytes();
        ipfs_kit_ipld::varint::put(&mut self.buf, (cid.len() + data.len()) as u64);
        self.buf.extend_from_slice(&cid);
        self.buf.extend_from_slice(&data);
        Ok(true)
    }
}

impl Read for ShardReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.buf.len() {
            if !self.refill().map_err(std::io::Error::other)? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use multihash::Multihash;

    fn block(i: u32, len: u64) -> PlannedBlock {
        let mut digest = [0u8; 32];
        digest[..4].copy_from_slice(&i.to_be_bytes());
        PlannedBlock { cid: Cid::new_v1(0x55, Multihash::wrap(0x12, &digest).unwrap()), len }
    }

    fn check(plan: &CarPlan, size: u64) {
        let last = plan.shards.len() - 1;
        let mut next = 0;
        for (k, s) in plan.shards.iter().enumerate() {
            assert_eq!(s.rooted, k == last, "only the last shard names the root");
            assert!(s.bytes <= size, "shard {k}: {} > {size}", s.bytes);
            assert_eq!(s.first, next, "shards are consecutive");
            let sections: u64 =
                plan.blocks[s.first..s.first + s.count].iter().map(|b| section_len(&b.cid, b.len)).sum();
            assert_eq!(s.bytes, header_len(plan.roots(k)) + sections);
            next += s.count;
        }
        assert_eq!(next, plan.blocks.len());
    }

    #[test]
    fn shards_are_cut_as_the_js_client_cuts_them() {
        let root = block(0, 100).cid;
        let blocks: Vec<_> = (0..10).map(|i| block(i, 1000)).collect();
        let section = section_len(&blocks[0].cid, 1000);
        // Three sections fit a root-less shard exactly: 10 blocks make 3+3+3+1.
        let size = header_len(&[]) + 3 * section;
        let plan = CarPlan::storacha(root, blocks.clone(), size).unwrap();
        check(&plan, size);
        assert_eq!(plan.shards.iter().map(|s| s.count).collect::<Vec<_>>(), [3, 3, 3, 1]);
        // 9 blocks: the last shard has 3, and the longer rooted header pushes its last block out.
        let plan = CarPlan::storacha(root, blocks[..9].to_vec(), size).unwrap();
        check(&plan, size);
        assert_eq!(plan.shards.iter().map(|s| s.count).collect::<Vec<_>>(), [3, 3, 2, 1]);
        // One shard when everything fits, and a block bigger than a shard is refused.
        let plan = CarPlan::storacha(root, blocks.clone(), 1 << 20).unwrap();
        assert_eq!(plan.shards.len(), 1);
        check(&plan, 1 << 20);
        assert!(matches!(CarPlan::storacha(root, blocks, section), Err(BucketError::ShardTooSmall { .. })));
    }

    #[test]
    fn data_offsets_point_past_each_section_head() {
        let root = block(0, 10).cid;
        let plan = CarPlan::storacha(root, vec![block(1, 10), block(2, 300)], 1 << 20).unwrap();
        let offsets = plan.data_offsets(0);
        let cid_len = plan.blocks[0].cid.encoded_len() as u64;
        assert_eq!(offsets[0].1, header_len(&[root]) + 1 + cid_len);
        assert_eq!(offsets[1].1, offsets[0].1 + 10 + 2 + cid_len, "a 2-byte varint for the 300-byte block");
    }
}
