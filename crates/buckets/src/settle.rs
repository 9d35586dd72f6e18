//! `check` while writers run.
//!
//! A plain `check` takes no writer lock (only `--repair` does), so it never waits for a writer
//! and never holds one up for the minutes `--read-data` can take. A writer that commits while it
//! reads can make the catalog, a DAG, an index or the manifest disagree for a moment (a root read
//! before the commit, rows after it; an index not rewritten yet; a snapshot file written before
//! its manifest). So errors count only if the home stood still while the check looked: no
//! bucket's counters, snapshot file or manifest changed, and no writer held the lock. Otherwise the
//! check runs again, and after `ATTEMPTS` unsettled runs once more under the writer lock (waiting
//! as any writer would); if even that cannot be had, the last findings come with a hint saying so.

use ipfs_kit_blockstore::{LockState, StoreError, WriterLock};

use crate::buckets::Buckets;
use crate::catalog;
use crate::check::{CheckReport, Finding};
use crate::error::BucketError;
use crate::manifest;

/// How many lock-free runs a check gets before it waits for the writer lock.
const ATTEMPTS: usize = 3;

/// What a check's findings depend on that a writer changes.
#[derive(Debug, PartialEq, Eq)]
struct HomeState {
    /// (name, change_seq, indexed_seq) of each bucket.
    buckets: Vec<(String, i64, i64)>,
    snapshots: Vec<String>,
    manifest: Option<Vec<u8>>,
    /// A writer holds the lock: it may be between two of its steps.
    writing: bool,
}

impl Buckets {
    fn home_state(&self) -> Result<HomeState, BucketError> {
        // A catalog that cannot be read is a finding of the check itself, not a reason to stop.
        let buckets = catalog::buckets(&self.db)
            .map(|all| all.into_iter().map(|b| (b.name, b.change_seq, b.indexed_seq)).collect())
            .unwrap_or_default();
        let snapshots = match manifest::list(&self.home) {
            Ok(records) => records.into_iter().map(|r| r.snapshot_id).collect(),
            // An unreadable snapshot file is a finding of the check itself.
            Err(_) => Vec::new(),
        };
        let manifest = std::fs::read(self.home.manifest_path()).ok();
        let writing = matches!(WriterLock::inspect(&self.home.lock_path())?, LockState::Held(_));
        Ok(HomeState { buckets, snapshots, manifest, writing })
    }

    /// `check`, with findings that hold for a home standing still (see the module comment).
    /// With `repair` it holds the writer lock and runs once.
    pub fn check_settled(&mut self, read_data: bool, repair: bool) -> Result<CheckReport, BucketError> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let before = self.home_state()?;
            let report = self.check(read_data, repair)?;
            if repair || report.errors.is_empty() || (!before.writing && self.home_state()? == before) {
                return Ok(report);
            }
            last = Some(report);
        }
        // Lock order: the collection pin, then the writer lock (`check` pins again, shared).
        let _pin = self.pin()?;
        match self.lock() {
            Ok(_lock) => self.check(read_data, false),
            Err(BucketError::Store(StoreError::Locked { holder })) => {
                let mut report = last.expect("at least one attempt");
                report.hints.push(Finding {
                    message: format!("{holder} was changing the home while it was checked"),
                    repair: "some errors may be its change in progress; run `ipfs-kit check` again when it is done"
                        .into(),
                });
                Ok(report)
            }
            Err(other) => Err(other),
        }
    }
}
