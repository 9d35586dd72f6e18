//! Sweeping dead blocks out of the store, and checking every stored byte.
//!
//! The caller (who knows which DAGs are live) marks; the store sweeps. A sweep follows the same
//! write order as any commit, so a crash at any point loses nothing live:
//! 1. live blocks of packs worth rewriting are copied into new packs, which are fsynced and
//!    renamed into place (not yet indexed: invisible);
//! 2. one index transaction registers the new packs, points moved blocks at them, deletes dead
//!    blocks and forgets the old packs;
//! 3. only then are the old pack files (and files no pack row names) unlinked.
//!
//! A crash before 2 leaves unindexed packs; after 2, unreferenced pack files. Both are orphans,
//! which the next sweep removes. Sweeping needs the `CollectLock`, so no writer has unindexed
//! packs of its own in flight and every file the index does not name is an orphan.
//!
//! `survey` is a dry run that needs only a `BlockPin` (no sweep can run meanwhile, writers
//! can): it reports the store as it is, so blocks and packs of a writer still in flight count
//! as dead and orphaned.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;

use cid::Cid;
use rusqlite::params;

use crate::error::StoreError;
use crate::gc_lock::{BlockPin, CollectLock};
use crate::store::{BlockStore, PACK_MAGIC};

/// A pack smaller than this is "small"; many small packs are merged into one.
const SMALL_PACK: u64 = 1 << 20;
/// Merge small packs once there are this many.
const SMALL_PACKS_TO_MERGE: usize = 16;

/// What a sweep did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub live_blocks: u64,
    pub live_bytes: u64,
    pub dead_blocks: u64,
    pub dead_bytes: u64,
    /// Packs deleted because nothing in them is live.
    pub packs_removed: u64,
    /// Packs whose live blocks were copied into a new pack.
    pub packs_rewritten: u64,
    pub moved_bytes: u64,
    /// Pack files the index does not name (left by crashed writers or sweeps).
    pub orphan_files: u64,
    /// Bytes of pack files deleted (or that would be).
    pub freed_bytes: u64,
}

/// A stored block whose bytes do not check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockFault {
    /// The CID as recorded in the pack, when the record could be read.
    pub cid: Option<Cid>,
    pub multihash: Vec<u8>,
    pub pack: String,
    pub offset: u64,
    pub reason: &'static str,
}

/// One record read back from a pack.
struct Record {
    cid: Cid,
    data_offset: u64,
    data: Vec<u8>,
}

/// Reads a pack's records in order, checking the framing but not the hashes.
struct PackRecords {
    input: BufReader<File>,
    name: String,
    pos: u64,
    len: u64,
}

impl PackRecords {
    fn open(store: &BlockStore, name: &str) -> Result<Self, StoreError> {
        let path = store.pack_path(name);
        let io = |source| StoreError::Io { path: path.clone(), source };
        let file = File::open(&path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut input = BufReader::with_capacity(1 << 20, file);
        let mut magic = [0u8; 8];
        if input.read_exact(&mut magic).is_err() || &magic != PACK_MAGIC {
            return Err(StoreError::CorruptPack { pack: name.to_owned(), offset: 0, reason: "not a pack file" });
        }
        Ok(PackRecords { input, name: name.to_owned(), pos: 8, len })
    }

    fn corrupt(&self, reason: &'static str) -> StoreError {
        StoreError::CorruptPack { pack: self.name.clone(), offset: self.pos, reason }
    }

    fn next(&mut self) -> Result<Option<Record>, StoreError> {
        if self.pos == self.len {
            return Ok(None);
        }
        let mut head = [0u8; 5];
        self.input.read_exact(&mut head).map_err(|_| self.corrupt("truncated record header"))?;
        let body = u64::from(u32::from_le_bytes(head[..4].try_into().expect("4 bytes")));
        let cid_len = u64::from(head[4]);
        if body < 1 + cid_len || self.pos + 4 + body > self.len {
            return Err(self.corrupt("record length runs past the end of the pack"));
        }
        let mut cid_bytes = vec![0u8; cid_len as usize];
        self.input.read_exact(&mut cid_bytes).map_err(|_| self.corrupt("truncated CID"))?;
        let cid = Cid::try_from(cid_bytes).map_err(|_| self.corrupt("record holds no valid CID"))?;
        let mut data = vec![0u8; (body - 1 - cid_len) as usize];
        self.input.read_exact(&mut data).map_err(|_| self.corrupt("truncated block"))?;
        let data_offset = self.pos + 5 + cid_len;
        self.pos += 4 + body;
        Ok(Some(Record { cid, data_offset, data }))
    }
}

/// Whether `data` hashes to the multihash `mh`, with whichever function of the multihash table
/// it names (blocks imported from a CAR may use any of them). A hash outside the table cannot
/// be checked, so it counts as not matching: such a block cannot have been stored verified.
fn matches(mh: &[u8], data: &[u8]) -> bool {
    ipfs_kit_ipld::hash::verify_multihash_bytes(mh, data).is_ok()
}

/// What a sweep would do: the packs with their use, and which to remove or rewrite.
struct Plan {
    packs: HashMap<i64, PackUse>,
    orphans: Vec<(PathBuf, u64)>,
    remove: Vec<i64>,
    rewrite: Vec<i64>,
    report: SweepReport,
}

/// Per pack: its live and dead blocks.
#[derive(Default)]
struct PackUse {
    name: String,
    size: u64,
    live: HashMap<u64, Vec<u8>>,
    live_bytes: u64,
    dead: Vec<Vec<u8>>,
    dead_bytes: u64,
}

impl BlockStore {
    fn pack_use(&self) -> Result<HashMap<i64, PackUse>, StoreError> {
        let db = self.db.lock().expect("index lock");
        let mut packs: HashMap<i64, PackUse> = HashMap::new();
        let mut stmt = db.prepare("SELECT id, name, size FROM packs")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, u64>(2)?)))? {
            let (id, name, size) = row?;
            packs.insert(id, PackUse { name, size, ..PackUse::default() });
        }
        Ok(packs)
    }

    /// Pack files in `packs/` that the index does not name, with their sizes.
    pub fn orphan_files(&self) -> Result<Vec<(PathBuf, u64)>, StoreError> {
        let known: HashSet<String> = self.pack_use()?.into_values().map(|p| p.name).collect();
        let dir = self.dir().join("packs");
        let io = |source| StoreError::Io { path: dir.clone(), source };
        let mut orphans = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".pack").unwrap_or(&name);
            if !known.contains(stem) {
                orphans.push((entry.path(), entry.metadata().map_err(io)?.len()));
            }
        }
        orphans.sort();
        Ok(orphans)
    }

    /// Deletes every block for which `is_live` is false, rewrites packs that are mostly dead
    /// (or many and small), and removes orphan pack files, in the order in the module comment.
    /// `dry_run` only reports. `at` is called at each step, for fault injection in tests.
    pub fn sweep(
        &self,
        is_live: &dyn Fn(&[u8]) -> bool,
        dry_run: bool,
        _lock: &CollectLock,
        at: &dyn Fn(&'static str),
    ) -> Result<SweepReport, StoreError> {
        let plan = self.plan(is_live)?;
        if dry_run {
            return Ok(plan.report);
        }
        self.execute(plan, at)
    }

    /// What `sweep` would do, while writers may be running (see the module comment).
    pub fn survey(&self, is_live: &dyn Fn(&[u8]) -> bool, _pin: &BlockPin) -> Result<SweepReport, StoreError> {
        Ok(self.plan(is_live)?.report)
    }

    fn plan(&self, is_live: &dyn Fn(&[u8]) -> bool) -> Result<Plan, StoreError> {
        let mut packs = self.pack_use()?;
        {
            let db = self.db.lock().expect("index lock");
            let mut stmt = db.prepare("SELECT mh, pack, offset, len FROM blocks")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let (mh, pack, offset, len): (Vec<u8>, i64, u64, u64) =
                    (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
                let Some(usage) = packs.get_mut(&pack) else { continue };
                if is_live(&mh) {
                    usage.live.insert(offset, mh);
                    usage.live_bytes += len;
                } else {
                    usage.dead.push(mh);
                    usage.dead_bytes += len;
                }
            }
        }
        let mut report = SweepReport::default();
        let orphans = self.orphan_files()?;
        report.orphan_files = orphans.len() as u64;
        report.freed_bytes = orphans.iter().map(|(_, size)| size).sum();

        let small: Vec<i64> = packs.iter().filter(|(_, p)| p.size < SMALL_PACK).map(|(id, _)| *id).collect();
        let merge_small = small.len() >= SMALL_PACKS_TO_MERGE;
        let mut remove = Vec::new();
        let mut rewrite = Vec::new();
        for (id, usage) in &packs {
            report.live_blocks += usage.live.len() as u64;
            report.live_bytes += usage.live_bytes;
            report.dead_blocks += usage.dead.len() as u64;
            if usage.live.is_empty() {
                remove.push(*id);
            } else if (!usage.dead.is_empty() && usage.live_bytes * 2 < usage.size)
                || (merge_small && usage.size < SMALL_PACK)
            {
                rewrite.push(*id);
            }
        }
        // Freed bytes are pack bytes that go away (record framing included); dead bytes are
        // the dead blocks' own lengths, so "0 blocks" never comes with a byte count.
        for id in remove.iter().chain(&rewrite) {
            report.freed_bytes += packs[id].size;
        }
        report.dead_bytes = packs.values().map(|p| p.dead_bytes).sum();
        report.packs_removed = remove.len() as u64;
        report.packs_rewritten = rewrite.len() as u64;
        report.moved_bytes = rewrite.iter().map(|id| packs[id].live_bytes).sum();
        Ok(Plan { packs, orphans, remove, rewrite, report })
    }

    fn execute(&self, plan: Plan, at: &dyn Fn(&'static str)) -> Result<SweepReport, StoreError> {
        let Plan { mut packs, orphans, remove, mut rewrite, report } = plan;
        // 1. Copy the live blocks of rewritten packs into new packs.
        rewrite.sort();
        let mut writer = self.writer();
        for id in &rewrite {
            let usage = &packs[id];
            let mut records = PackRecords::open(self, &usage.name)?;
            while let Some(record) = records.next()? {
                if usage.live.contains_key(&record.data_offset) {
                    writer.append_moved(&record.cid, &record.data)?;
                }
            }
        }
        let sealed = writer.seal()?;
        at("gc-packs-written");

        // 2. One transaction switches the index over.
        {
            let mut db = self.db.lock().expect("index lock");
            let tx = db.transaction()?;
            for pack in &sealed {
                let pack_id = pack.register(&tx)?;
                let mut update = tx.prepare_cached("UPDATE blocks SET pack = ?2, offset = ?3 WHERE mh = ?1")?;
                for (mh, offset, _) in &pack.records {
                    update.execute(params![mh, pack_id, offset])?;
                }
            }
            {
                let mut delete = tx.prepare_cached("DELETE FROM blocks WHERE mh = ?1")?;
                for usage in packs.values() {
                    for mh in &usage.dead {
                        delete.execute([mh])?;
                    }
                }
                let mut forget = tx.prepare_cached("DELETE FROM packs WHERE id = ?1")?;
                for id in remove.iter().chain(&rewrite) {
                    forget.execute([id])?;
                }
            }
            tx.commit()?;
        }
        self.open_packs.lock().expect("pack cache lock").clear();
        at("gc-index-committed");

        // 3. Unlink what the index no longer names.
        let mut doomed: Vec<PathBuf> = orphans.into_iter().map(|(path, _)| path).collect();
        doomed.extend(remove.iter().chain(&rewrite).map(|id| self.pack_path(&packs[id].name)));
        for path in doomed {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(StoreError::Io { path, source: e }),
                _ => {}
            }
        }
        crate::store::sync_dir(&self.dir().join("packs"))?;
        packs.clear();
        Ok(report)
    }

    /// Reads every stored block and checks its bytes against its multihash, pack by pack in
    /// file order. `progress` gets the bytes read so far.
    ///
    /// The index rows come from one query sorted by (pack, offset), met in step with each
    /// pack's records, so memory stays flat in the number of blocks (SQLite's sorter spills to
    /// a temporary file). The query's read transaction also makes the check see one state.
    pub fn verify_all(&self, progress: &mut dyn FnMut(u64)) -> Result<Vec<BlockFault>, StoreError> {
        let packs = self.pack_use()?;
        let mut ids: Vec<i64> = packs.keys().copied().collect();
        ids.sort();
        let db = self.db.lock().expect("index lock");
        let mut stmt = db.prepare("SELECT pack, offset, mh FROM blocks ORDER BY pack, offset")?;
        let mut rows = stmt.query([])?;
        let mut next_row = || -> Result<Option<(i64, u64, Vec<u8>)>, StoreError> {
            Ok(match rows.next()? {
                Some(row) => Some((row.get(0)?, row.get(1)?, row.get(2)?)),
                None => None,
            })
        };
        let mut row = next_row()?;
        let mut faults = Vec::new();
        let mut read = 0u64;
        for id in ids {
            let usage = &packs[&id];
            let fault = |mh: Vec<u8>, offset, cid, reason| BlockFault {
                cid,
                multihash: mh,
                pack: usage.name.clone(),
                offset,
                reason,
            };
            // Rows of packs the `packs` table does not name are not this check's business.
            while row.as_ref().is_some_and(|(pack, ..)| *pack < id) {
                row = next_row()?;
            }
            // Rows whose offset no record starts at (only in a damaged home).
            let mut unmatched: Vec<(u64, Vec<u8>)> = Vec::new();
            let scan = (|| -> Result<(), StoreError> {
                let mut records = PackRecords::open(self, &usage.name)?;
                while let Some(record) = records.next()? {
                    read += record.data.len() as u64;
                    self.meter.block(record.data.len() as u64);
                    progress(read);
                    while let Some((_, offset, mh)) = row.take_if(|(p, o, _)| *p == id && *o < record.data_offset) {
                        unmatched.push((offset, mh));
                        row = next_row()?;
                    }
                    let Some((_, _, mh)) = row.take_if(|(p, o, _)| *p == id && *o == record.data_offset) else {
                        continue;
                    };
                    row = next_row()?;
                    if record.cid.hash().to_bytes() != mh {
                        faults.push(fault(
                            mh,
                            record.data_offset,
                            Some(record.cid),
                            "the pack holds another block here",
                        ));
                    } else if !matches(&mh, &record.data) {
                        faults.push(fault(mh, record.data_offset, Some(record.cid), "its bytes do not match its CID"));
                    }
                }
                Ok(())
            })();
            let reason = match scan {
                Ok(()) => "the pack ends before this block",
                Err(StoreError::Io { .. }) => "its pack cannot be read",
                Err(StoreError::CorruptPack { .. }) => "its pack is damaged before this block",
                Err(other) => return Err(other),
            };
            // What the scan did not reach: the rest of this pack's rows.
            while let Some((_, offset, mh)) = row.take_if(|(p, ..)| *p == id) {
                unmatched.push((offset, mh));
                row = next_row()?;
            }
            unmatched.sort();
            faults.extend(unmatched.into_iter().map(|(offset, mh)| fault(mh, offset, None, reason)));
        }
        Ok(faults)
    }

    /// Forgets blocks (damaged ones, so that adding or importing them again stores good bytes).
    pub fn drop_blocks(&self, multihashes: &[Vec<u8>]) -> Result<u64, StoreError> {
        let mut db = self.db.lock().expect("index lock");
        let tx = db.transaction()?;
        let mut dropped = 0;
        {
            let mut delete = tx.prepare_cached("DELETE FROM blocks WHERE mh = ?1")?;
            for mh in multihashes {
                dropped += delete.execute([mh])? as u64;
            }
        }
        tx.commit()?;
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipfs_kit_unixfs::BlockSink;
    use ipfs_kit_unixfs::block::{RAW, sha256_cid};
    use std::time::Duration;

    fn store(tag: &str) -> (PathBuf, BlockStore) {
        let dir = std::env::temp_dir().join(format!("ipfs-kit-gc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = BlockStore::open(&dir).unwrap();
        (dir, store)
    }

    fn put_all(store: &BlockStore, blocks: &[&[u8]]) -> Vec<Cid> {
        let mut writer = store.writer();
        let cids: Vec<Cid> = blocks.iter().map(|b| sha256_cid(1, RAW, b)).collect();
        for (cid, bytes) in cids.iter().zip(blocks) {
            writer.put(cid, bytes).unwrap();
        }
        writer.commit().unwrap();
        cids
    }

    #[test]
    fn sweep_keeps_live_blocks_moves_them_and_drops_the_rest() {
        let (dir, store) = store("sweep");
        let big = vec![7u8; 4096];
        let cids = put_all(&store, &[b"keep", &big, b"other"]);
        let lone = put_all(&store, &[b"dead alone"]);
        let live: HashSet<Vec<u8>> = [cids[0].hash().to_bytes()].into();
        let lock = store.collect_lock(Duration::ZERO, &mut || {}).unwrap();
        let dry = store.sweep(&|mh| live.contains(mh), true, &lock, &|_| {}).unwrap();
        assert_eq!((dry.dead_blocks, dry.packs_removed, dry.packs_rewritten), (3, 1, 1));
        assert!(store.has(&lone[0]).unwrap(), "a dry run deletes nothing");
        let done = store.sweep(&|mh| live.contains(mh), false, &lock, &|_| {}).unwrap();
        assert_eq!(done, dry);
        assert_eq!(store.get_block(&cids[0]).unwrap().as_deref(), Some(&b"keep"[..]));
        for gone in [&cids[1], &cids[2], &lone[0]] {
            assert!(!store.has(gone).unwrap());
        }
        // One pack is left, holding just the live block, and it verifies.
        assert_eq!(std::fs::read_dir(dir.join("packs")).unwrap().count(), 1);
        assert_eq!(store.verify_all(&mut |_| {}).unwrap(), Vec::new());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn verify_finds_a_flipped_byte_and_a_truncated_pack() {
        let (dir, store) = store("verify");
        let cids = put_all(&store, &[b"first block", b"second block"]);
        let pack = std::fs::read_dir(dir.join("packs")).unwrap().next().unwrap().unwrap().path();
        let mut bytes = std::fs::read(&pack).unwrap();
        let at = bytes.windows(5).position(|w| w == b"first").unwrap();
        bytes[at] ^= 1;
        std::fs::write(&pack, &bytes).unwrap();
        let faults = store.verify_all(&mut |_| {}).unwrap();
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].cid, Some(cids[0]));
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&pack, &bytes).unwrap();
        let faults = store.verify_all(&mut |_| {}).unwrap();
        assert_eq!(faults.len(), 2, "{faults:?}");
        assert_eq!(store.drop_blocks(&[cids[0].hash().to_bytes()]).unwrap(), 1);
        assert!(!store.has(&cids[0]).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
