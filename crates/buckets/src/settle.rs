//! `check` while writers run.
//!
//! A plain `check` takes no writer lock (only `--repair` does), so it never waits for a writer
//! and never holds one up for the minutes `--read-data` can take. A change committed while it
//! reads can make the catalog, a DAG, an index or the manifest disagree for a moment (a root
//! read before the commit, rows after it; an index not rewritten yet; a snapshot file written
//! before its manifest). So errors found while the home moved are looked for again on the new
//! state: what a check reports was true of a home that stood still while it looked, unless the
//! home kept moving through every attempt.

use crate::buckets::Buckets;
use crate::catalog;
use crate::check::CheckReport;
use crate::error::BucketError;
use crate::manifest;

/// How many times a check is run before its findings are reported whatever happens.
const ATTEMPTS: usize = 3;

/// What a check's findings depend on that a writer changes.
#[derive(Debug, PartialEq, Eq)]
struct HomeState {
    /// (name, change_seq, indexed_seq) of each bucket.
    buckets: Vec<(String, i64, i64)>,
    snapshots: Vec<String>,
    manifest: Option<Vec<u8>>,
}

impl Buckets {
    fn home_state(&self) -> Result<HomeState, BucketError> {
        let buckets = catalog::buckets(&self.db)?.into_iter().map(|b| (b.name, b.change_seq, b.indexed_seq)).collect();
        let snapshots = match manifest::list(&self.home) {
            Ok(records) => records.into_iter().map(|r| r.snapshot_id).collect(),
            // An unreadable snapshot file is a finding of the check itself.
            Err(_) => Vec::new(),
        };
        let manifest = std::fs::read(self.home.manifest_path()).ok();
        Ok(HomeState { buckets, snapshots, manifest })
    }

    /// `check`, run again (up to `ATTEMPTS` times) when it found errors and a writer changed
    /// the home while it looked. With `repair` it holds the writer lock and runs once.
    pub fn check_settled(&mut self, read_data: bool, repair: bool) -> Result<CheckReport, BucketError> {
        let mut attempt = 1;
        loop {
            let before = self.home_state()?;
            let report = self.check(read_data, repair)?;
            if repair || report.errors.is_empty() || attempt == ATTEMPTS || self.home_state()? == before {
                return Ok(report);
            }
            attempt += 1;
        }
    }
}
