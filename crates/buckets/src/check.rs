//! `ipfs-kit check`: is everything the home claims actually there and consistent?
//!
//! Errors are faults in data a user relies on; each names the command that repairs it. Hints
//! are harmless leftovers (orphan packs from an interrupted command, a stale lock record) with
//! the command that tidies them. What is checked:
//! - every snapshot record (and the manifest) parses, its `manifest_hash` matches its bytes,
//!   and its global directory is complete and holds the roots and indexes it lists;
//! - every bucket's DAG is complete (no dangling links; dag-pb nodes are read and hashed),
//!   matches the catalog row for row, and its Parquet index matches the catalog;
//! - with `--read-data`, every stored block's bytes hash to its CID, and every bucket's DAG
//!   keeps the structural rules of `check_tree` (the size limits are for strangers' DAGs and
//!   are not applied to a home's own buckets).

use std::collections::HashMap;

use cid::Cid;
use ipfs_kit_blockstore::{LockState, WriterLock};
use ipfs_kit_unixfs::{DagReader, TreeLimits, check_tree};

use crate::buckets::Buckets;
use crate::catalog;
use crate::check_rows::{Problems, RowCheck};
use crate::check_walk::BadBlocks;
use crate::dag::BadBlock;
use crate::error::{BucketError, chain};
use crate::manifest::{self, META_DIR, SnapshotRecord};

/// One finding, with what repairs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub message: String,
    pub repair: String,
}

#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub errors: Vec<Finding>,
    pub hints: Vec<Finding>,
    pub buckets: usize,
    pub snapshots: usize,
    pub blocks_verified: u64,
    pub bytes_verified: u64,
    /// What `--repair` did.
    pub repaired: Vec<String>,
}

impl CheckReport {
    fn error(&mut self, message: String, repair: impl Into<String>) {
        self.errors.push(Finding { message, repair: repair.into() });
    }

    fn hint(&mut self, message: String, repair: impl Into<String>) {
        self.hints.push(Finding { message, repair: repair.into() });
    }
}

/// How many row disagreements to list per bucket before summing up the rest.
pub(crate) const ROWS_LISTED: usize = 5;

/// How to get a home back whose catalog is damaged: the DAGs and snapshots are intact.
const CATALOG_RECOVERY: &str = "move catalog.sqlite (and any catalog.sqlite-wal, -shm) aside, then rebuild each bucket \
     with `ipfs-kit bucket restore NAME --snapshot ID` (see `ipfs-kit bucket snapshots`) or `--from-cid ROOT`";

const READD: &str = "add the file again (`ipfs-kit bucket add`) or import a CAR that holds the block \
                     (`ipfs-kit car import`)";

impl Buckets {
    /// Checks the home; with `repair`, fixes what can be fixed from data that is still good:
    /// indexes are rewritten from the catalog, the manifest from the latest snapshot, and
    /// damaged blocks are dropped so that adding or importing them again stores good bytes.
    pub fn check(&mut self, read_data: bool, repair: bool) -> Result<CheckReport, BucketError> {
        let mut report = CheckReport::default();
        // Page-level damage first: SQLite's own check of the catalog's b-trees.
        match catalog::quick_check(&self.db) {
            Ok(None) => {}
            Ok(Some(problem)) => report.error(format!("catalog.sqlite is damaged: {problem}"), CATALOG_RECOVERY),
            Err(err) => report.error(format!("catalog.sqlite cannot be checked: {}", chain(&err)), CATALOG_RECOVERY),
        }
        if let LockState::Stale(holder) = WriterLock::inspect(&self.home.lock_path())? {
            report.hint(
                format!("the writer lock still names {holder}, which has exited"),
                "taken over by the next writer; `ipfs-kit unlock` clears it now",
            );
        }
        let _pin = self.pin()?;
        // Only repairs write; a plain check reads while writers run (see `settle.rs`).
        let _lock = if repair { Some(self.lock()?) } else { None };
        // Every pack the block index names must be on disk whole; rows past a pack's end are
        // lost blocks, which the DAG walks below then report as missing where they are used.
        let pack_faults = self.store.pack_faults()?;
        for fault in &pack_faults {
            report.error(fault.describe(), format!("`ipfs-kit check --repair` drops their index rows; then {READD}"));
        }
        if repair && !pack_faults.is_empty() {
            let n = self.store.drop_lost_blocks()?;
            report.repaired.push(format!("dropped {n} index rows of blocks whose pack lost them"));
        }
        let mut damaged: Vec<Cid> = Vec::new();
        {
            // One read transaction for the walks' million lookups, ended before any repair writes.
            let _reading = self.store.read_transaction()?;
            let walks = self.walk_buckets()?;
            self.check_snapshots(&mut report, repair, &walks, &mut damaged)?;
            self.check_buckets(&mut report, read_data, repair, &walks, &mut damaged)?;
        }
        if read_data {
            let faults = self.store.verify_all(&mut |bytes| report.bytes_verified = bytes)?;
            report.blocks_verified = self.store.totals()?.0;
            for fault in &faults {
                let cid = fault.cid.map_or_else(|| "(unreadable record)".to_owned(), |c| c.to_string());
                report.error(
                    format!("block {cid} in pack {} at byte {}: {}", fault.pack, fault.offset, fault.reason),
                    format!("`ipfs-kit check --read-data --repair` drops it; then {READD}"),
                );
            }
            if repair && !faults.is_empty() {
                let mhs: Vec<Vec<u8>> = faults.iter().map(|f| f.multihash.clone()).collect();
                let n = self.store.drop_blocks(&mhs)?;
                report.repaired.push(format!("dropped {n} damaged blocks from the index"));
            }
        }
        if repair && !damaged.is_empty() {
            let mhs: Vec<Vec<u8>> = damaged.iter().map(|c| c.hash().to_bytes()).collect();
            let n = self.store.drop_blocks(&mhs)?;
            report.repaired.push(format!("dropped {n} damaged blocks from the index"));
        }
        let orphans = self.store.orphan_files()?;
        if !orphans.is_empty() {
            let bytes: u64 = orphans.iter().map(|(_, size)| size).sum();
            report.hint(
                format!(
                    "{} pack files ({bytes} bytes) are not in the block index (left by an interrupted command)",
                    orphans.len()
                ),
                "`ipfs-kit gc` removes them",
            );
        }
        Ok(report)
    }

    /// One error per bad block, the first few by CID and the rest summed up.
    fn report_bad(&self, report: &mut CheckReport, what: &str, bad: &[BadBlock], damaged: &mut Vec<Cid>) {
        for (i, b) in bad.iter().enumerate() {
            if b.problem != "missing" {
                damaged.push(b.cid);
            }
            let repair = if b.problem == "missing" {
                READD.to_owned()
            } else {
                format!("`ipfs-kit check --repair` drops it; then {READD}")
            };
            if i < ROWS_LISTED {
                report.error(format!("{what}: block {} is {}", b.cid, b.problem), repair);
            } else if i == ROWS_LISTED {
                report.error(format!("{what}: {} more blocks are missing or damaged", bad.len() - ROWS_LISTED), repair);
            }
        }
    }

    /// Walks the DAG of every bucket's root once, for both the snapshots that hold it (the
    /// latest snapshot holds every bucket as it is) and the bucket itself: which blocks under
    /// each root are bad. A catalog that cannot list its buckets gives none (`check_buckets`
    /// reports it).
    fn walk_buckets(&self) -> Result<HashMap<Cid, Vec<BadBlock>>, BucketError> {
        let mut walks = HashMap::new();
        for bucket in catalog::buckets(&self.db).unwrap_or_default() {
            if let std::collections::hash_map::Entry::Vacant(walk) = walks.entry(bucket.root) {
                walk.insert(BadBlocks::new(&self.store, None).of(&[bucket.root])?);
            }
        }
        Ok(walks)
    }

    fn check_snapshots(
        &self,
        report: &mut CheckReport,
        repair: bool,
        walks: &HashMap<Cid, Vec<BadBlock>>,
        damaged: &mut Vec<Cid>,
    ) -> Result<(), BucketError> {
        let records = match manifest::list(&self.home) {
            Ok(records) => records,
            Err(err) => {
                report.error(
                    format!("the snapshot files cannot be read: {err}"),
                    format!("move the bad file out of {}", self.home.snapshots_dir().display()),
                );
                return Ok(());
            }
        };
        report.snapshots = records.len();
        match manifest::read_manifest(&self.home) {
            Ok(manifest) if manifest.as_ref() == records.last() => {}
            Ok(_) | Err(_) => {
                if repair {
                    match records.last() {
                        Some(latest) => manifest::write_manifest(&self.home, latest)?,
                        None => {
                            let _ = std::fs::remove_file(self.home.manifest_path());
                        }
                    }
                    report.repaired.push("rewrote bucket_manifest.json from the latest snapshot".into());
                } else {
                    report.error(
                        "bucket_manifest.json is not the latest snapshot".into(),
                        "`ipfs-kit check --repair` rewrites it from the latest snapshot",
                    );
                }
            }
        }
        for record in &records {
            let id = &record.snapshot_id;
            if record.manifest_hash != crate::cids::base58btc(&record.manifest_cid()) {
                report.error(
                    format!("snapshot {id}: manifest_hash does not match the record (the file was edited)"),
                    "restore the file from a backup, or drop it with `ipfs-kit snapshots prune`",
                );
            }
            let global = record.global_cid()?;
            let mut roots = vec![global];
            roots.extend(Cid::try_from(record.manifest_hash.as_str()));
            let bad = BadBlocks::new(&self.store, Some(walks)).of(&roots)?;
            self.report_bad(report, &format!("snapshot {id}"), &bad, damaged);
            if !bad.is_empty() {
                continue;
            }
            self.check_global(report, record)?;
        }
        Ok(())
    }

    /// The global directory holds exactly the roots and indexes the record lists.
    fn check_global(&self, report: &mut CheckReport, record: &SnapshotRecord) -> Result<(), BucketError> {
        let reader = DagReader::new(&self.store);
        let id = &record.snapshot_id;
        let global = record.global_cid()?;
        let listed: HashMap<String, Cid> = crate::snapshot::global_entries(&self.store, &global)?;
        let repair = "the record and its global directory disagree; restore the file from a backup, or drop it \
                      with `ipfs-kit snapshots prune`";
        if listed.len() != record.buckets.len() {
            report.error(
                format!(
                    "snapshot {id}: its global directory holds {} buckets, the record {}",
                    listed.len(),
                    record.buckets.len()
                ),
                repair,
            );
        }
        for (name, b) in &record.buckets {
            if listed.get(name) != Some(&b.root(id)?) {
                report.error(
                    format!("snapshot {id}: bucket {name:?} is not at {} in the global directory", b.content_hash),
                    repair,
                );
            }
            let index = reader.resolve(&global, &format!("{META_DIR}/buckets/{name}_vfs.parquet")).ok();
            if index != Some(b.index(id)?) {
                report.error(
                    format!("snapshot {id}: the index of {name:?} is not {} in the global directory", b.snapshot_hash),
                    repair,
                );
            }
        }
        Ok(())
    }

    fn check_buckets(
        &self,
        report: &mut CheckReport,
        read_data: bool,
        repair: bool,
        walks: &HashMap<Cid, Vec<BadBlock>>,
        damaged: &mut Vec<Cid>,
    ) -> Result<(), BucketError> {
        let buckets = match catalog::buckets(&self.db) {
            Ok(buckets) => buckets,
            Err(err) => {
                report.error(
                    format!("catalog.sqlite: the bucket rows cannot be read: {}", chain(&err)),
                    CATALOG_RECOVERY,
                );
                return Ok(());
            }
        };
        report.buckets = buckets.len();
        for bucket in buckets {
            let name = &bucket.name;
            let bad = match walks.get(&bucket.root) {
                Some(bad) => bad.clone(),
                // A root a writer committed since `walk_buckets` looked.
                None => BadBlocks::new(&self.store, None).of(&[bucket.root])?,
            };
            self.report_bad(report, &format!("bucket {name:?}"), &bad, damaged);
            if read_data && bad.is_empty() {
                // The structural rules reading and exporting rely on (sizes that agree, sound
                // HAMTs, the name rule), as `car import` and `restore` apply them; a DAG
                // imported by an older ipfs-kit may break them.
                if let Err(err) = check_tree(&self.store, &bucket.root, &TreeLimits::structure_only()) {
                    report.error(
                        format!("bucket {name:?}: its DAG cannot be read back whole: {err}"),
                        format!(
                            "restore it from a snapshot taken before (`ipfs-kit bucket restore {name} --snapshot ID`), \
                             or remove the entry and add the files again"
                        ),
                    );
                }
            }
            // A DAG with bad blocks is not compared row by row: its bad blocks are the finding.
            let mut rows = RowCheck::new(&self.store, &bucket.root, bad.is_empty(), &self.home.index_path(name));
            let findings =
                catalog::each_entry(&self.db, name, |row| rows.row(row)).and_then(|()| rows.finish(&self.db, name));
            let findings = match findings {
                Ok(findings) => findings,
                Err(err) => {
                    report.error(
                        format!("bucket {name:?}: its catalog rows cannot be read: {}", chain(&err)),
                        format!(
                            "{CATALOG_RECOVERY}; this bucket's last root is {}: `ipfs-kit bucket restore {name} \
                             --from-cid {}` brings it back as it was",
                            bucket.root, bucket.root
                        ),
                    );
                    continue;
                }
            };
            match findings.dag {
                Ok(None) => {}
                // A DAG that cannot even be walked for rows is a finding, not the end of the check.
                Err(err) => report.error(
                    format!("bucket {name:?}: its DAG cannot be walked: {}", chain(&err)),
                    format!("restore it from a snapshot (`ipfs-kit bucket restore {name} --snapshot ID`)"),
                ),
                Ok(Some(problems)) => {
                    let repair = format!(
                        "`ipfs-kit bucket restore {name} --from-cid {}` rebuilds the catalog from the DAG",
                        bucket.root
                    );
                    for p in &problems.kept {
                        report.error(format!("bucket {name:?}: {p}"), repair.clone());
                    }
                    if problems.more() > 0 {
                        report.error(
                            format!("bucket {name:?}: {} more rows disagree with the DAG", problems.more()),
                            repair,
                        );
                    }
                }
            }
            self.check_index(report, repair, name, findings.index)?;
        }
        Ok(())
    }

    /// The Parquet index shows exactly the catalog's files and symlinks (`problems` says where
    /// not); with `repair` it is rewritten from the catalog.
    fn check_index(
        &self,
        report: &mut CheckReport,
        repair: bool,
        name: &str,
        problems: Problems,
    ) -> Result<(), BucketError> {
        if problems.total == 0 {
            return Ok(());
        }
        if repair {
            match self.write_index(name, None) {
                Ok(()) => report.repaired.push(format!("rewrote the Parquet index of {name:?}")),
                Err(err) => report.error(
                    format!("bucket {name:?}: its Parquet index cannot be rewritten: {}", chain(&err)),
                    CATALOG_RECOVERY,
                ),
            }
            return Ok(());
        }
        let fix =
            format!("`ipfs-kit bucket reindex {name}` (or `ipfs-kit check --repair`) rewrites it from the catalog");
        for p in &problems.kept {
            report.error(format!("bucket {name:?}: {p}"), fix.clone());
        }
        if problems.more() > 0 {
            report.error(format!("bucket {name:?}: {} more index rows disagree", problems.more()), fix);
        }
        Ok(())
    }

    /// Rewrites a bucket's Parquet index from the catalog.
    pub fn reindex(&mut self, name: &str) -> Result<(), BucketError> {
        catalog::require_bucket(&self.db, name)?;
        let _lock = self.lock()?;
        self.write_index(name, None)
    }
}
