//! `ipfs-kit snapshots prune` and `ipfs-kit gc`.
//!
//! `gc` is mark and sweep. The roots are every live bucket's root, every index CID the
//! catalog keeps for reuse, and every snapshot record (its global directory, which reaches the
//! bucket roots and indexes it holds, and its own record block), plus the manifest's. The
//! sweep deletes nothing until the new state of the block index is committed (see the
//! blockstore's `gc` module for its write order).
//!
//! Locks: the collection lock first (no block writer has unreferenced blocks in flight), then
//! the writer lock (no bucket or snapshot changes while we mark).
//!
//! `gc --dry-run` deletes nothing, so it takes neither: only a shared pin, which keeps a real
//! `gc` from sweeping while it marks. Writers may run meanwhile; the dry run reports the home as
//! it found it (blocks of a write still in flight are unreferenced, so they count as dead), and
//! marks again if the roots moved while it surveyed, so its numbers belong to one set of roots.

use cid::Cid;
use ipfs_kit_blockstore::SweepReport;

use crate::buckets::{Buckets, crash_point};
use crate::catalog;
use crate::dag::Marker;
use crate::error::BucketError;
use crate::manifest::{self, SnapshotRecord};

/// What `gc` found and did.
#[derive(Debug, Clone)]
pub struct GcReport {
    pub roots: usize,
    pub sweep: SweepReport,
    pub dry_run: bool,
}

/// The roots a snapshot record keeps alive.
fn record_roots(record: &SnapshotRecord) -> Result<Vec<Cid>, BucketError> {
    let mut roots = vec![record.global_cid()?];
    if let Ok(cid) = Cid::try_from(record.manifest_hash.as_str()) {
        roots.push(cid);
    }
    // The global directory reaches these too, unless it is damaged; marking them directly
    // keeps a bucket's blocks even then.
    for (name, b) in &record.buckets {
        roots.push(b.root(name)?);
        roots.push(b.index(name)?);
    }
    Ok(roots)
}

impl Buckets {
    /// Deletes all but the newest `keep` snapshot files (and the manifest when none is kept).
    /// Their blocks stay until `gc`.
    pub fn prune_snapshots(&mut self, keep: usize) -> Result<Vec<SnapshotRecord>, BucketError> {
        let _lock = self.lock()?;
        let records = manifest::list(&self.home)?;
        let drop = records.len().saturating_sub(keep);
        let removed: Vec<SnapshotRecord> = records.into_iter().take(drop).collect();
        for record in &removed {
            let path = manifest::snapshot_path(&self.home, &record.snapshot_id);
            std::fs::remove_file(&path).map_err(BucketError::io(&path))?;
        }
        if keep == 0 {
            let path = self.home.manifest_path();
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(BucketError::io(&path)(e)),
                _ => {}
            }
        }
        if !removed.is_empty() {
            ipfs_kit_blockstore::sync_dir(&self.home.snapshots_dir())?;
        }
        Ok(removed)
    }

    /// Every CID `gc` must keep, with everything below it.
    pub(crate) fn gc_roots(&self) -> Result<Vec<Cid>, BucketError> {
        let mut roots: Vec<Cid> = catalog::buckets(&self.db)?.into_iter().map(|b| b.root).collect();
        roots.extend(catalog::index_cids(&self.db)?);
        roots.extend(crate::uploads::part_roots(&self.db)?);
        for record in manifest::list(&self.home)? {
            roots.extend(record_roots(&record)?);
        }
        if let Some(record) = manifest::read_manifest(&self.home)? {
            roots.extend(record_roots(&record)?);
        }
        Ok(roots)
    }

    /// Mark and sweep. Refuses to sweep if a live DAG is missing a block: what hangs below a
    /// missing node cannot be told apart from garbage.
    pub fn gc(&mut self, dry_run: bool) -> Result<GcReport, BucketError> {
        if dry_run {
            return self.gc_dry_run();
        }
        let collect = self.collect_lock()?;
        let _lock = self.lock()?;
        crate::uploads::expire(&self.db)?;
        let roots = self.gc_roots()?;
        let reached = self.mark_live(&roots)?;
        let sweep = self.store.sweep(&|mh| reached.contains(mh), false, &collect, &|point| crash_point(point))?;
        Ok(GcReport { roots: roots.len(), sweep, dry_run })
    }

    /// What `gc` would delete, without its locks (see the module comment).
    fn gc_dry_run(&mut self) -> Result<GcReport, BucketError> {
        /// Enough for a burst of commits; after that the last survey is reported as it is.
        const ATTEMPTS: usize = 5;
        let pin = self.pin()?;
        let mut roots = self.gc_roots()?;
        let mut attempt = 1;
        loop {
            let reached = self.mark_live(&roots)?;
            let sweep = self.store.survey(&|mh| reached.contains(mh), &pin)?;
            let now = self.gc_roots()?;
            if now == roots || attempt == ATTEMPTS {
                return Ok(GcReport { roots: roots.len(), sweep, dry_run: true });
            }
            roots = now;
            attempt += 1;
        }
    }

    /// The multihashes of every block the roots reach. A missing raw leaf hides nothing; a
    /// missing or damaged node with links (dag-pb, DAG-CBOR, DAG-JSON) may, so that stops `gc`
    /// before it deletes anything.
    fn mark_live(&self, roots: &[Cid]) -> Result<std::collections::HashSet<Vec<u8>>, BucketError> {
        let mut marker = Marker::new(&self.store);
        for root in roots {
            marker.mark(root)?;
        }
        if let Some(bad) = marker.bad.iter().find(|b| ipfs_kit_ipld::codec::follows_links(b.cid.codec())) {
            return Err(BucketError::Incomplete(format!(
                "gc stopped before deleting anything: live block {} is {}; run `ipfs-kit check`",
                bad.cid, bad.problem
            )));
        }
        Ok(marker.reached)
    }
}
