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
use std::fs::File;
use std::io::{BufWriter, Write};

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;
use ipfs_kit_car::{CarV2Writer, CarWriter, ThreadedCarHasher, header_len, section_len};
use ipfs_kit_unixfs::DagReader;
use ipfs_kit_unixfs::ReadError;
use ipfs_kit_unixfs::block::{DAG_PB, IDENTITY};
use ipfs_kit_unixfs::pb::PbNode;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// Whether the header names the root. Always so in `car export`; Storacha's layout
    /// (see [`crate::car_shards`]) names it in the last shard only.
    pub rooted: bool,
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
    let mut seen: HashSet<multihash::Multihash<64>> = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<(Cid, Option<u64>)> = vec![(*root, None)];
    while let Some((cid, tsize)) = stack.pop() {
        if cid.hash().code() == IDENTITY
            || skip.is_some_and(|s| s.contains(&cid.hash().to_bytes()))
            || !seen.insert(*cid.hash())
        {
            continue;
        }
        if cid.codec() == DAG_PB {
            let bytes = reader.block(&cid)?;
            let node = PbNode::decode(&bytes).map_err(|source| ReadError::Decode { cid, source })?;
            stack.extend(node.links.iter().rev().map(|l| (l.cid, l.tsize)));
            out.push(PlannedBlock { cid, len: bytes.len() as u64 });
        } else if ipfs_kit_ipld::codec::follows_links(cid.codec()) {
            // DAG-CBOR and DAG-JSON: links carry no sizes, so their targets' lengths are looked up.
            let bytes = reader.block(&cid)?;
            stack.extend(ipfs_kit_ipld::links(&cid, &bytes)?.into_iter().rev().map(|l| (l, None)));
            out.push(PlannedBlock { cid, len: bytes.len() as u64 });
        } else {
            let len = match tsize {
                Some(len) => len,
                None => store.block_len(&cid)?.ok_or(ReadError::MissingBlock { cid })?,
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
                    shards.push(ShardPlan {
                        first,
                        count: i - first,
                        bytes: file_len(payload, i - first),
                        rooted: true,
                    });
                    (first, payload) = (i, header);
                }
            }
            payload += section;
        }
        let (count, bytes) = (blocks.len() - first, file_len(payload, blocks.len() - first));
        shards.push(ShardPlan { first, count, bytes, rooted: true });
        let block_bytes = blocks.iter().map(|b| b.len).sum();
        Ok(CarPlan { root, blocks, block_bytes, shards, v2 })
    }

    /// The roots shard `k`'s header names.
    pub fn roots(&self, k: usize) -> &[Cid] {
        if self.shards[k].rooted { std::slice::from_ref(&self.root) } else { &[] }
    }

    pub fn total_bytes(&self) -> u64 {
        self.shards.iter().map(|s| s.bytes).sum()
    }

    /// Writes shard `k` to `out`; with `car_cid`, also returns the shard's CAR CID.
    ///
    /// Blocks are read in batches of about `BATCH_BYTES`. Every block's size is checked against
    /// the plan; with `verify`, each batch is also hashed on every core (each block against its
    /// CID) before any of it is written, so a damaged block stops the export before its bytes go
    /// out. Without it the store is trusted, as Kubo's `dag export` trusts its blockstore: blocks
    /// were hashed when stored, the dag-pb nodes were just verified while planning, `check
    /// --read-data` finds damage at rest, and every CAR reader re-hashes what it receives.
    ///
    /// The CAR CID is one sequential SHA-256 pass over the whole shard (about 0.6 s per GiB on
    /// one core, twice what writing the file costs), so it is computed only when asked for.
    pub fn write_shard(
        &self,
        store: &BlockStore,
        k: usize,
        verify: bool,
        car_cid: bool,
        out: &mut dyn Write,
    ) -> Result<Option<Cid>, BucketError> {
        if car_cid {
            let mut hasher = ThreadedCarHasher::new(out);
            self.write_blocks(store, k, verify, &mut hasher)?;
            Ok(Some(hasher.finish().1))
        } else {
            self.write_blocks(store, k, verify, out)?;
            Ok(None)
        }
    }

    /// Writes shard `k` into `file` (at its position), as [`write_shard`](Self::write_shard).
    ///
    /// Unless blocks are verified or the CAR CID is wanted (both need every byte in memory),
    /// each large raw leaf is copied from its pack into the file by the kernel
    /// (`BlockStore::copy_block_to`): the export then costs about what `cp` of the same bytes
    /// costs. Lengths are still checked against the plan.
    pub fn write_shard_file(
        &self,
        store: &BlockStore,
        k: usize,
        verify: bool,
        car_cid: bool,
        file: &File,
    ) -> Result<Option<Cid>, BucketError> {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        if verify || car_cid {
            let cid = self.write_shard(store, k, verify, car_cid, &mut out)?;
            out.flush().map_err(|source| ipfs_kit_car::CarError::Io { offset: self.shards[k].bytes, source })?;
            return Ok(cid);
        }
        let shard = self.shards[k];
        let blocks = &self.blocks[shard.first..shard.first + shard.count];
        let mut sink = CarSink::new(out, self.roots(k), blocks, self.v2)?;
        for b in blocks {
            if b.cid.codec() == DAG_PB || b.len < COPY_MIN {
                let bytes = store.get_block(&b.cid)?.ok_or(ReadError::MissingBlock { cid: b.cid })?;
                if bytes.len() as u64 != b.len {
                    return Err(BucketError::WrongTsize { cid: b.cid, actual: bytes.len() as u64, planned: b.len });
                }
                sink.put(&b.cid, &bytes)?;
                continue;
            }
            sink.put_with(&b.cid, b.len, |out: &mut BufWriter<&File>| {
                out.flush().map_err(|source| ipfs_kit_car::CarError::Io { offset: 0, source })?;
                let copied =
                    store.copy_block_to(&b.cid, out.get_ref())?.ok_or(ReadError::MissingBlock { cid: b.cid })?;
                if copied != b.len {
                    return Err(BucketError::WrongTsize { cid: b.cid, actual: copied, planned: b.len });
                }
                Ok(())
            })?;
        }
        let mut out = sink.finish()?;
        out.flush().map_err(|source| ipfs_kit_car::CarError::Io { offset: shard.bytes, source })?;
        Ok(None)
    }

    fn write_blocks(&self, store: &BlockStore, k: usize, verify: bool, out: &mut dyn Write) -> Result<(), BucketError> {
        let shard = self.shards[k];
        let blocks = &self.blocks[shard.first..shard.first + shard.count];
        let mut sink = CarSink::new(out, self.roots(k), blocks, self.v2)?;
        // A reader thread fetches the next batch while this one is verified and written.
        std::thread::scope(|scope| -> Result<(), BucketError> {
            let (batches, received) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                let mut start = 0;
                while start < blocks.len() {
                    let batch = read_batch(store, blocks, start);
                    let next = batch.as_ref().map_or(blocks.len(), |b| start + b.len());
                    // A closed channel means the writer stopped on an error: stop too.
                    if batches.send(batch.map(|b| (start, b))).is_err() {
                        return;
                    }
                    start = next;
                }
            });
            for batch in received {
                let (start, batch) = batch?;
                let planned = &blocks[start..start + batch.len()];
                if verify {
                    verify_all(planned, &batch)?;
                }
                for (b, bytes) in planned.iter().zip(&batch) {
                    sink.put(&b.cid, bytes)?;
                }
            }
            Ok(())
        })?;
        sink.finish()?;
        Ok(())
    }
}

/// Reads the blocks from `start` on, up to about `BATCH_BYTES`, checking each one's length
/// against the plan.
fn read_batch(store: &BlockStore, blocks: &[PlannedBlock], start: usize) -> Result<Vec<Vec<u8>>, BucketError> {
    let mut batch = Vec::new();
    let mut size = 0;
    for b in &blocks[start..] {
        if !batch.is_empty() && size >= BATCH_BYTES {
            break;
        }
        let bytes = store.get_block(&b.cid)?.ok_or(ReadError::MissingBlock { cid: b.cid })?;
        if bytes.len() as u64 != b.len {
            return Err(BucketError::WrongTsize { cid: b.cid, actual: bytes.len() as u64, planned: b.len });
        }
        size += bytes.len();
        batch.push(bytes);
    }
    Ok(batch)
}

/// Raw leaves at least this long are copied from their pack by the kernel, not read.
const COPY_MIN: u64 = 64 << 10;

/// Bytes of blocks read (and held) at once while exporting; two batches are in memory.
const BATCH_BYTES: usize = 8 << 20;

/// The two CAR writers, behind one face.
enum CarSink<W: Write> {
    V1(CarWriter<W>),
    V2(CarV2Writer<W>),
}

impl<W: Write> CarSink<W> {
    fn new(out: W, roots: &[Cid], blocks: &[PlannedBlock], v2: bool) -> Result<Self, ipfs_kit_car::CarError> {
        Ok(if v2 {
            let payload = header_len(roots) + blocks.iter().map(|b| section_len(&b.cid, b.len)).sum::<u64>();
            CarSink::V2(CarV2Writer::new(out, roots, payload)?)
        } else {
            CarSink::V1(CarWriter::new(out, roots)?)
        })
    }

    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), ipfs_kit_car::CarError> {
        match self {
            CarSink::V1(w) => w.put(cid, data),
            CarSink::V2(w) => w.put(cid, data),
        }
    }

    fn put_with(
        &mut self,
        cid: &Cid,
        len: u64,
        write_data: impl FnOnce(&mut W) -> Result<(), BucketError>,
    ) -> Result<(), BucketError> {
        match self {
            CarSink::V1(w) => w.put_with(cid, len, write_data),
            CarSink::V2(w) => w.put_with(cid, len, write_data),
        }
    }

    fn finish(self) -> Result<W, ipfs_kit_car::CarError> {
        Ok(match self {
            CarSink::V1(w) => w.finish()?.0,
            CarSink::V2(w) => w.finish()?.0,
        })
    }
}

/// Checks each block's bytes against its CID, sharing the blocks among all cores.
fn verify_all(blocks: &[PlannedBlock], bytes: &[Vec<u8>]) -> Result<(), BucketError> {
    let check =
        |i: usize| -> Result<(), ReadError> { ipfs_kit_unixfs::reader::verify_block(&blocks[i].cid, &bytes[i]) };
    let total: usize = bytes.iter().map(Vec::len).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(bytes.len());
    if threads <= 1 || total < (1 << 20) {
        return (0..bytes.len()).try_for_each(check).map_err(Into::into);
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= bytes.len() {
                            return Ok::<(), ReadError>(());
                        }
                        check(i)?;
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().expect("a hashing thread panicked"))
    })
    .map_err(Into::into)
}
