//! Storing a DAG fetched from elsewhere, as a CAR stream (a Kubo node's `dag/export`, a
//! trustless gateway's `?format=car`).
//!
//! Every block is checked against its CID by the CAR reader and against the DAG by a
//! [`DagFilter`] before it is written to a pack; nothing is visible until the pack commit. A
//! response with a bad block (wrong bytes, a block the DAG does not reach, a malformed node) is
//! refused whole: its pack is dropped, and the home holds nothing from it. A response that is
//! merely cut short keeps what it verified (every such block is reachable from the root and
//! checked), so asking again, or asking block by block for [`PulledDag::missing`], completes
//! the DAG. Blocks the home already has are not written again.

use std::io::{BufReader, Read};

use cid::Cid;
use ipfs_kit_car::{Block, CarError, CarReader, Limits};
use ipfs_kit_unixfs::BlockSink;

use crate::buckets::Buckets;
use crate::dag_filter::{Admission, DagFilter};
use crate::error::BucketError;

/// Blocks one pulled DAG may have at most: bounds the filter's memory (about 100 bytes each).
pub const MAX_PULL_BLOCKS: u64 = 10_000_000;

/// What a pull stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledDag {
    pub root: Cid,
    /// Blocks received and verified (repeats not counted).
    pub blocks: u64,
    pub bytes: u64,
    /// Of those, blocks the home did not have.
    pub new_blocks: u64,
    /// Linked from a received block but not received: empty when the DAG is whole here.
    pub missing: Vec<Cid>,
    /// Where the response ended early, when it did.
    pub cut_off_at: Option<u64>,
}

impl Buckets {
    /// Reads a CAR response for `root` from `input` and stores its blocks (see the module
    /// comment). The CAR's header must name `root` among its roots, or name none.
    pub fn pull_car_stream(&mut self, input: &mut dyn Read, root: &Cid) -> Result<PulledDag, BucketError> {
        let _pin = self.pin()?;
        self.store_car_stream(input, root)
    }

    /// [`Buckets::pull_car_stream`] for a caller that holds the block pin already.
    ///
    /// Blocks are hashed a batch at a time (about [`HASH_BATCH_BYTES`]) on every core, then
    /// admitted and stored in CAR order, so the first bad block in the response is the one
    /// named, as if they were checked one by one.
    pub(crate) fn store_car_stream(&mut self, input: &mut dyn Read, root: &Cid) -> Result<PulledDag, BucketError> {
        let bad = |error| BucketError::BadResponse { root: *root, error };
        let reader = CarReader::new(BufReader::with_capacity(1 << 20, input), Limits::default()).map_err(bad)?;
        let mut reader = reader.defer_hash_check(true);
        if !reader.roots().is_empty() && !reader.roots().iter().any(|r| r.hash() == root.hash()) {
            return Err(BucketError::WrongRoots { root: *root, roots: reader.roots().to_vec() });
        }
        let mut filter = DagFilter::new(*root, MAX_PULL_BLOCKS);
        let mut writer = self.store().writer();
        let (mut bytes, mut cut_off_at) = (0u64, None);
        let mut batch: Vec<Block> = Vec::new();
        let mut batch_bytes = 0usize;
        let mut store = |batch: &mut Vec<Block>| -> Result<(), BucketError> {
            verify_all(batch).map_err(bad)?;
            for block in batch.drain(..) {
                if filter.admit(&block.cid, &block.data, block.offset)? == Admission::New {
                    writer.put(&block.cid, &block.data).map_err(BucketError::Sink)?;
                    bytes += block.data.len() as u64;
                }
            }
            Ok(())
        };
        loop {
            match reader.next_block() {
                Ok(Some(block)) => {
                    batch_bytes += block.data.len();
                    batch.push(block);
                    // Bounded in count too: a hostile CAR of tiny blocks must not pile up
                    // millions of them (each carries a CID and an allocation).
                    if batch_bytes >= HASH_BATCH_BYTES || batch.len() >= HASH_BATCH_BLOCKS {
                        store(&mut batch)?;
                        batch_bytes = 0;
                    }
                }
                Ok(None) => break,
                // A connection lost mid-response is a response cut short, not a bad one.
                Err(CarError::Truncated { offset } | CarError::Io { offset, .. }) => {
                    cut_off_at = Some(offset);
                    break;
                }
                Err(error) => {
                    // A bad block before the damage is the first fault in the response.
                    store(&mut batch)?;
                    return Err(bad(error));
                }
            }
        }
        store(&mut batch)?;
        let stats = writer.commit()?;
        Ok(PulledDag {
            root: *root,
            blocks: filter.received(),
            bytes,
            new_blocks: stats.new_blocks,
            missing: filter.missing(),
            cut_off_at,
        })
    }
}

/// How many bytes of blocks are hashed together, spread over the cores.
pub const HASH_BATCH_BYTES: usize = 8 << 20;

/// At most this many blocks are held for one batch, whatever their size.
pub const HASH_BATCH_BLOCKS: usize = 4096;

/// Checks every block of `batch` against its CID, on up to four threads; the error is the
/// first bad block's in CAR order.
fn verify_all(batch: &[Block]) -> Result<(), CarError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4).min(batch.len());
    if threads <= 1 {
        return batch.iter().try_for_each(Block::verify);
    }
    let per = batch.len().div_ceil(threads);
    let results: Vec<Result<(), CarError>> = std::thread::scope(|s| {
        let mut parts = batch.chunks(per);
        let first = parts.next().expect("batch is not empty");
        let others: Vec<_> = parts.map(|part| s.spawn(move || part.iter().try_for_each(Block::verify))).collect();
        let mut results = vec![first.iter().try_for_each(Block::verify)];
        results.extend(others.into_iter().map(|h| h.join().expect("a hashing thread panicked")));
        results
    });
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::car::{CarSubject, ExportOptions};
    use crate::home::Home;
    use std::path::PathBuf;

    /// A home with bucket `b` holding a few files (one of several chunks); returns the home's
    /// folder guard, the bucket root and the bucket as a CAR.
    fn source(seed: u8) -> (tempfile::TempDir, Cid, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("a.txt"), [b'a', seed]).unwrap();
        std::fs::write(src.join("sub/b.txt"), [b'b', seed]).unwrap();
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(7) as u8) ^ seed).collect();
        std::fs::write(src.join("sub/big.bin"), big).unwrap();
        let mut buckets = Buckets::open(Home::new(dir.path().join("home"))).unwrap();
        buckets.create("b", "unixfs-v1-2025").unwrap();
        buckets.add("b", &[PathBuf::from(&src)], "/", false, &mut ipfs_kit_unixfs::Quiet).unwrap();
        let plan = buckets.car_plan(CarSubject::Bucket("b"), &ExportOptions::default()).unwrap();
        let mut car = Vec::new();
        plan.write_shard(buckets.store(), 0, false, false, &mut car).unwrap();
        (dir, plan.root, car)
    }

    fn empty_home() -> (tempfile::TempDir, Buckets) {
        let dir = tempfile::tempdir().unwrap();
        let buckets = Buckets::open(Home::new(dir.path().join("home"))).unwrap();
        (dir, buckets)
    }

    fn stored(buckets: &Buckets, car: &[u8]) -> usize {
        let mut reader = CarReader::new(car, Limits::default()).unwrap();
        let mut n = 0;
        while let Some(block) = reader.next_block().unwrap() {
            n += usize::from(buckets.store().has(&block.cid).unwrap());
        }
        n
    }

    fn blocks_in(car: &[u8]) -> usize {
        let mut reader = CarReader::new(car, Limits::default()).unwrap();
        std::iter::from_fn(|| reader.next_block().unwrap()).count()
    }

    #[test]
    fn a_whole_dag_is_stored_and_a_second_pull_writes_nothing() {
        let (_src, root, car) = source(1);
        let (_dst, mut home) = empty_home();
        let pulled = home.pull_car_stream(&mut &car[..], &root).unwrap();
        assert_eq!(pulled.blocks as usize, blocks_in(&car));
        assert_eq!(pulled.new_blocks, pulled.blocks);
        assert!(pulled.missing.is_empty() && pulled.cut_off_at.is_none(), "{pulled:?}");
        assert_eq!(stored(&home, &car), blocks_in(&car));
        let again = home.pull_car_stream(&mut &car[..], &root).unwrap();
        assert_eq!((again.blocks, again.new_blocks), (pulled.blocks, 0));
    }

    #[test]
    fn a_flipped_byte_refuses_the_whole_response() {
        let (_src, root, mut car) = source(2);
        let at = car.len() - 100;
        car[at] ^= 1;
        let (_dst, mut home) = empty_home();
        let err = home.pull_car_stream(&mut &car[..], &root).unwrap_err();
        assert!(matches!(err, BucketError::BadResponse { .. }), "{err}");
        let mut reader = CarReader::new(&car[..], Limits::default()).unwrap();
        let first = reader.next_block().unwrap().unwrap();
        assert!(!home.store().has(&first.cid).unwrap(), "nothing from the bad response is stored");
    }

    #[test]
    fn of_two_bad_blocks_hashed_in_one_batch_the_first_in_the_car_is_named() {
        let (_src, root, mut car) = source(6);
        let mut reader = CarReader::new(&car[..], Limits::default()).unwrap();
        let blocks: Vec<Block> = std::iter::from_fn(|| reader.next_block().unwrap()).collect();
        assert!(blocks.len() >= 4, "enough blocks to tell first from last");
        // The last byte of the second block's data, and the CAR's last byte (the last block's).
        let second_end = blocks[2].offset as usize - 1;
        car[second_end] ^= 1;
        let last = car.len() - 1;
        car[last] ^= 1;
        let (_dst, mut home) = empty_home();
        let err = home.pull_car_stream(&mut &car[..], &root).unwrap_err();
        let named = match err {
            BucketError::BadResponse { error: CarError::HashMismatch { cid, .. }, .. } => cid,
            other => panic!("expected a hash mismatch, got {other}"),
        };
        assert_eq!(named, blocks[1].cid, "the first bad block in CAR order is the one named");
        assert_eq!(stored(&home, &car[..blocks[1].offset as usize]), 0, "nothing stored");
    }

    #[test]
    fn another_dag_is_refused_by_its_roots_or_by_its_first_block() {
        let (_a, root, _) = source(3);
        let (_b, other_root, other) = source(4);
        let (_dst, mut home) = empty_home();
        let err = home.pull_car_stream(&mut &other[..], &root).unwrap_err();
        assert!(matches!(err, BucketError::WrongRoots { .. }), "{err}");
        // The same blocks under a header that names the requested root.
        let mut relabelled = Vec::new();
        let mut writer = ipfs_kit_car::CarWriter::new(&mut relabelled, &[root]).unwrap();
        let mut reader = CarReader::new(&other[..], Limits::default()).unwrap();
        while let Some(block) = reader.next_block().unwrap() {
            writer.put(&block.cid, &block.data).unwrap();
        }
        writer.finish().unwrap();
        let err = home.pull_car_stream(&mut &relabelled[..], &root).unwrap_err();
        assert!(matches!(err, BucketError::NotInDag { cid, .. } if cid == other_root), "{err}");
        assert_eq!(stored(&home, &other), 0);
    }

    #[test]
    fn a_response_cut_short_keeps_what_it_verified_and_names_what_is_missing() {
        let (_src, root, car) = source(5);
        let (_dst, mut home) = empty_home();
        let cut = &car[..car.len() / 2];
        let first = home.pull_car_stream(&mut &cut[..], &root).unwrap();
        assert!(first.cut_off_at.is_some(), "{first:?}");
        assert!(!first.missing.is_empty());
        assert!(first.blocks > 0 && (first.blocks as usize) < blocks_in(&car));
        let rest = home.pull_car_stream(&mut &car[..], &root).unwrap();
        assert!(rest.missing.is_empty());
        assert_eq!(rest.new_blocks, rest.blocks - first.blocks, "only what was missing is written");
    }
}
