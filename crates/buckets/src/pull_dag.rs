//! Pulling a whole DAG from a remote that serves CARs and single blocks (a Kubo node's
//! `dag/export` and `block/get`, a trustless gateway's `?format=car` and `?format=raw`).
//!
//! The pull works in rounds. Each round walks the DAG as far as the home holds it and asks
//! for what is absent there: a CAR of each absent subtree, or a single block for a raw leaf
//! (and for everything, once a CAR response was cut off: the remote is then asked block by
//! block, as the trustless-gateway spec suggests). Every block is checked against its CID, and
//! every CAR block against the DAG (see [`crate::dag_filter`]), before it is stored; a bad
//! response ends the pull with nothing from it stored. So:
//! - blocks the home already has are never asked for again, and a pull that was interrupted,
//!   or cut off, resumes where it stopped;
//! - a round that brings nothing new ends the pull with the first block still missing named.
//!
//! The caller's [`DagSource`] does the fetching (retries included); this layer knows no HTTP.

use std::collections::HashSet;
use std::io::Read;

use cid::Cid;
use ipfs_kit_ipld::codec::RAW;
use ipfs_kit_ipld::{LinkLimits, links_with};
use ipfs_kit_unixfs::{BlockSink, BlockSource};
use multihash::Multihash;

use crate::buckets::Buckets;
use crate::error::BucketError;
use crate::pull::MAX_PULL_BLOCKS;
use ipfs_kit_ipld::hash::hash_name;

/// A fetch failure, as the source words it (the remote, the call, the fault).
pub type FetchError = Box<dyn std::error::Error + Send + Sync>;

/// Identity CIDs carry their bytes in the CID: nothing to fetch for them.
const IDENTITY: u64 = 0x00;

/// The largest block taken from a remote: what the CAR reader allows per section by default (bitswap's limit is
/// 2 MiB; a source should bound its own reads below this too).
pub const MAX_BLOCK: usize = 8 << 20;

/// The most single-block requests one round makes before walking again: a round's absent
/// list is kept in memory, so it is bounded too.
const MAX_BLOCKS_PER_ROUND: usize = 100_000;

/// Where the blocks come from.
pub trait DagSource {
    /// A CAR of the whole DAG under `root`, parents before children (a response may be cut
    /// short; what it holds is kept).
    fn car(&mut self, root: &Cid) -> Result<Box<dyn Read + '_>, FetchError>;
    /// The bytes of one block, as the remote sent them (they are checked here).
    fn block(&mut self, cid: &Cid) -> Result<Vec<u8>, FetchError>;
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// The DAG was whole in the home already: nothing was asked for.
    pub had_all: bool,
    pub car_requests: u64,
    pub block_requests: u64,
    /// Blocks received and verified, and their bytes.
    pub blocks: u64,
    pub bytes: u64,
    /// Of those, blocks the home did not have.
    pub new_blocks: u64,
    /// CAR responses that ended early (their blocks were kept).
    pub cut_off: u64,
}

impl Buckets {
    /// Every block of the DAG under `root` is in this home's store, so a CAR of it can be
    /// written: the check behind `car_ready` (it walks the DAG, reading each non-raw block).
    pub fn holds_dag(&self, root: &Cid) -> Result<bool, BucketError> {
        Ok(absent_under(self.store(), root, 1)?.is_empty())
    }

    /// Fetches what the home lacks of the DAG under `root` from `source`, until the DAG is
    /// whole here (see the module comment). Blocks that arrive stay in the store unreferenced
    /// until the caller mounts the root (or `gc` collects them).
    pub fn pull(&mut self, source: &mut dyn DagSource, root: &Cid) -> Result<PullReport, BucketError> {
        let _pin = self.pin()?;
        let mut report = PullReport::default();
        let mut blockwise = false;
        let mut first = true;
        loop {
            let absent = absent_under(self.store(), root, MAX_BLOCKS_PER_ROUND)?;
            if absent.is_empty() {
                report.had_all = first;
                return Ok(report);
            }
            first = false;
            let (before, was_blockwise) = (report.blocks, blockwise);
            let mut singles = Vec::new();
            for cid in &absent {
                if blockwise || cid.codec() == RAW {
                    singles.push(*cid);
                    continue;
                }
                report.car_requests += 1;
                let pulled = {
                    let mut input = source.car(cid).map_err(|error| BucketError::Fetch { cid: *cid, error })?;
                    self.store_car_stream(&mut input, cid)?
                };
                report.blocks += pulled.blocks;
                report.bytes += pulled.bytes;
                report.new_blocks += pulled.new_blocks;
                if pulled.cut_off_at.is_some() {
                    report.cut_off += 1;
                    blockwise = true;
                }
            }
            if !singles.is_empty() {
                self.store_blocks(source, &singles, &mut report)?;
            }
            // A round that only learnt that CARs are cut off goes on, block by block.
            if report.blocks == before && blockwise == was_blockwise {
                // Every request answered, none brought a block: the remote does not have them.
                return Err(BucketError::NotFetched { cid: absent[0], absent: absent.len() });
            }
        }
    }

    /// Fetches `wanted` one block at a time into one pack. What was verified before a failed
    /// fetch is kept (each block is reachable from the root), then the failure is returned.
    fn store_blocks(
        &mut self,
        source: &mut dyn DagSource,
        wanted: &[Cid],
        report: &mut PullReport,
    ) -> Result<(), BucketError> {
        let mut writer = self.store().writer();
        let mut failure = None;
        for cid in wanted {
            report.block_requests += 1;
            let bytes = match source.block(cid) {
                Ok(bytes) => bytes,
                Err(error) => {
                    failure = Some(BucketError::Fetch { cid: *cid, error });
                    break;
                }
            };
            if bytes.len() > MAX_BLOCK {
                let reason = format!("the remote sent {} bytes, over the {MAX_BLOCK}-byte block limit", bytes.len());
                failure = Some(BucketError::BadBlock { cid: *cid, reason });
                break;
            }
            if let Err(mismatch) = ipfs_kit_ipld::hash::verify(cid, &bytes) {
                let reason = match mismatch {
                    ipfs_kit_ipld::hash::Mismatch::Unsupported { code, .. } => {
                        format!("its hash function {} is not one ipfs-kit can check; refused", hash_name(code))
                    }
                    _ => "the remote sent bytes that do not match its CID; refused, not stored".to_owned(),
                };
                failure = Some(BucketError::BadBlock { cid: *cid, reason });
                break;
            }
            writer.put(cid, &bytes).map_err(BucketError::Sink)?;
            report.blocks += 1;
            report.bytes += bytes.len() as u64;
        }
        let stats = writer.commit()?;
        report.new_blocks += stats.new_blocks;
        failure.map_or(Ok(()), Err)
    }
}

/// The CIDs under `root` that `store` does not hold, each reached through blocks it does hold
/// (the walk does not go below an absent block), at most `max` of them. Empty: the DAG is
/// whole in the store.
pub fn absent_under(store: &dyn BlockSource, root: &Cid, max: usize) -> Result<Vec<Cid>, BucketError> {
    let limits = LinkLimits::default();
    let mut seen: HashSet<Multihash<64>> = HashSet::new();
    let mut stack = vec![*root];
    let mut absent = Vec::new();
    while let Some(cid) = stack.pop() {
        if cid.hash().code() == IDENTITY || !seen.insert(*cid.hash()) {
            continue;
        }
        if seen.len() as u64 > MAX_PULL_BLOCKS {
            return Err(BucketError::TooManyBlocks { root: *root, limit: MAX_PULL_BLOCKS });
        }
        if cid.codec() == RAW {
            if store.block_len(&cid).map_err(|e| store_failure(&cid, e))?.is_none() {
                absent.push(cid);
            }
        } else {
            match store.get(&cid).map_err(|e| store_failure(&cid, e))? {
                None => absent.push(cid),
                Some(bytes) => {
                    let links = links_with(&cid, &bytes, &limits)
                        .map_err(|e| BucketError::BadBlock { cid, reason: e.to_string() })?;
                    // Reversed, so the walk (and the requests) go in link order.
                    stack.extend(links.into_iter().rev());
                }
            }
        }
        if absent.len() >= max {
            break;
        }
    }
    Ok(absent)
}

fn store_failure(cid: &Cid, e: FetchError) -> BucketError {
    BucketError::BadBlock { cid: *cid, reason: format!("the home's copy cannot be read: {e}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::car::{CarSubject, ExportOptions};
    use crate::home::Home;
    use ipfs_kit_car::{CarReader, Limits};
    use std::collections::HashMap;
    use std::path::PathBuf;

    /// Serves the blocks of a CAR: whole sub-DAG CARs (cut inside block `cut_after`, when
    /// set) and single blocks, counting requests.
    struct Served {
        blocks: HashMap<Vec<u8>, (Cid, Vec<u8>)>,
        order: Vec<Cid>,
        cut_after: Option<usize>,
        cars: usize,
        singles: usize,
        flip: Option<Cid>,
    }

    impl Served {
        fn new(car: &[u8]) -> Self {
            let mut reader = CarReader::new(car, Limits::default()).unwrap();
            let (mut blocks, mut order) = (HashMap::new(), Vec::new());
            while let Some(b) = reader.next_block().unwrap() {
                order.push(b.cid);
                blocks.insert(b.cid.hash().to_bytes(), (b.cid, b.data));
            }
            Served { blocks, order, cut_after: None, cars: 0, singles: 0, flip: None }
        }
    }

    impl DagSource for Served {
        fn car(&mut self, root: &Cid) -> Result<Box<dyn Read + '_>, FetchError> {
            self.cars += 1;
            // Parents first: the root, then the CAR's own order for the rest of its DAG.
            let mut out = Vec::new();
            let mut writer = ipfs_kit_car::CarWriter::new(&mut out, &[*root]).unwrap();
            let under: HashSet<Vec<u8>> = reachable(&self.blocks, root);
            let mut n = 0;
            for cid in std::iter::once(root).chain(self.order.iter().filter(|c| c.hash() != root.hash())) {
                if !under.contains(&cid.hash().to_bytes()) {
                    continue;
                }
                if self.cut_after.is_some_and(|max| n >= max) {
                    break;
                }
                writer.put(cid, &self.blocks[&cid.hash().to_bytes()].1).unwrap();
                n += 1;
            }
            writer.finish().unwrap();
            if self.cut_after.is_some() {
                out.truncate(out.len() - 3);
            }
            Ok(Box::new(std::io::Cursor::new(out)))
        }

        fn block(&mut self, cid: &Cid) -> Result<Vec<u8>, FetchError> {
            self.singles += 1;
            let mut bytes = self.blocks.get(&cid.hash().to_bytes()).ok_or("not found: HTTP 404")?.1.clone();
            if self.flip == Some(*cid) {
                bytes[0] ^= 1;
            }
            Ok(bytes)
        }
    }

    fn reachable(blocks: &HashMap<Vec<u8>, (Cid, Vec<u8>)>, root: &Cid) -> HashSet<Vec<u8>> {
        let mut seen = HashSet::new();
        let mut stack = vec![*root];
        while let Some(c) = stack.pop() {
            if !seen.insert(c.hash().to_bytes()) {
                continue;
            }
            if let Some((_, data)) = blocks.get(&c.hash().to_bytes()) {
                stack.extend(ipfs_kit_ipld::links(&c, data).unwrap());
            }
        }
        seen
    }

    fn source() -> (tempfile::TempDir, Cid, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("a.txt"), b"a").unwrap();
        let big: Vec<u8> = (0..5_000_000u32).map(|i| (i.wrapping_mul(31) >> 3) as u8).collect();
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

    #[test]
    fn one_car_brings_a_whole_dag_and_a_second_pull_asks_for_nothing() {
        let (_s, root, car) = source();
        let (_d, mut home) = empty_home();
        let mut served = Served::new(&car);
        let report = home.pull(&mut served, &root).unwrap();
        assert_eq!((served.cars, served.singles), (1, 0));
        assert_eq!(report.blocks as usize, served.order.len());
        assert!(absent_under(home.store(), &root, 10).unwrap().is_empty());
        let again = home.pull(&mut served, &root).unwrap();
        assert!(again.had_all);
        assert_eq!((served.cars, served.singles), (1, 0), "nothing is asked for twice");
    }

    #[test]
    fn a_cut_off_car_is_completed_block_by_block() {
        let (_s, root, car) = source();
        let (_d, mut home) = empty_home();
        let mut served = Served::new(&car);
        // Two whole blocks, and the third cut.
        served.cut_after = Some(3);
        let report = home.pull(&mut served, &root).unwrap();
        assert_eq!(report.cut_off, 1);
        assert_eq!(served.cars, 1, "after a cut-off, blocks are asked for one by one");
        assert_eq!(served.singles, served.order.len() - 2, "only what the CAR did not bring");
        assert!(absent_under(home.store(), &root, 10).unwrap().is_empty());
        assert_eq!(report.new_blocks as usize, served.order.len());
    }

    #[test]
    fn a_bad_single_block_is_named_and_not_stored() {
        let (_s, root, car) = source();
        let (_d, mut home) = empty_home();
        let mut served = Served::new(&car);
        served.cut_after = Some(1);
        let leaf = *served.order.iter().find(|c| c.codec() == RAW).unwrap();
        served.flip = Some(leaf);
        let err = home.pull(&mut served, &root).unwrap_err();
        assert!(matches!(&err, BucketError::BadBlock { cid, .. } if *cid == leaf), "{err}");
        assert!(!home.store().has(&leaf).unwrap());
    }

    #[test]
    fn a_remote_without_the_blocks_is_told_apart_from_a_bad_one() {
        let (_s, root, car) = source();
        let (_d, mut home) = empty_home();
        let mut served = Served::new(&car);
        served.cut_after = Some(1);
        let leaf = *served.order.iter().find(|c| c.codec() == RAW).unwrap();
        served.blocks.remove(&leaf.hash().to_bytes());
        let err = home.pull(&mut served, &root).unwrap_err();
        assert!(matches!(&err, BucketError::Fetch { cid, .. } if *cid == leaf), "{err}");
        assert!(err.to_string().contains("404"), "{err}");
        // What was verified before the failure is kept: pulling again asks only for the rest.
        let absent = absent_under(home.store(), &root, 1000).unwrap();
        assert!(absent.contains(&leaf) && absent.len() < served.order.len(), "{absent:?}");
    }
}
