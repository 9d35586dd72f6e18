//! `bucket restore`: bring a bucket back to a snapshot, or mount any directory DAG whose
//! blocks are in the store (after a CAR import, say) as a bucket.
//!
//! The DAG is checked complete first, the rows come from walking it (with the snapshot's
//! Parquet index lending each file its metadata), and one catalog transaction switches the
//! bucket over, exactly like any other change; the index is then rewritten. A crash leaves the
//! old state or the new one.

use std::collections::HashMap;

use bytes::Bytes;
use cid::Cid;
use std::io::Read as _;

use ipfs_kit_unixfs::{BlockSource, DagReader, EntryKind, TreeLimits};
use rusqlite::TransactionBehavior;

use crate::buckets::{Buckets, bucket_profile, crash_point};
use crate::catalog::{self, BucketRow, EntryRow};
use crate::dag::{Marker, node_tsize, tree_rows};
use crate::error::BucketError;
use crate::index;
use crate::manifest::META_DIR;
use crate::names::check_bucket_name;
use crate::time::now_rfc3339;

/// Where a restore takes its state from.
#[derive(Debug, Clone)]
pub enum RestoreFrom<'a> {
    /// A snapshot id or global CID from this home's snapshots.
    Snapshot(&'a str),
    /// A global snapshot CID, or any UnixFS directory CID, whose blocks are in the store.
    Cid(Cid),
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub bucket: BucketRow,
    pub files: u64,
    /// Where the state came from (snapshot id or CID).
    pub from: String,
}

/// The state to restore: a root and, when known, an index lending metadata.
pub(crate) struct Target {
    root: Cid,
    index: Option<Cid>,
    profile: Option<String>,
    version: Option<i64>,
    from: String,
}

impl Buckets {
    pub fn restore(&mut self, name: &str, from: RestoreFrom<'_>) -> Result<RestoreReport, BucketError> {
        check_bucket_name(name)?;
        let _pin = self.pin()?;
        let _lock = self.lock()?;
        let target = self.restore_target(name, &from)?;

        // Every block must be here before the catalog may point at it.
        let mut marker = Marker::new(&self.store);
        marker.mark(&target.root)?;
        if let Some(index) = &target.index {
            marker.mark(index)?;
        }
        if let Some(bad) = marker.bad.first() {
            return Err(BucketError::Incomplete(format!(
                "cannot restore {name:?} from {}: block {} is {} ({} blocks in all); import a CAR that holds \
                 them (`ipfs-kit car import`)",
                target.from,
                bad.cid,
                bad.problem,
                marker.bad.len()
            )));
        }
        // A DAG from a CAR or a remote is bounded and checked before it becomes catalog rows.
        ipfs_kit_unixfs::check_tree(&self.store, &target.root, &self.limits)
            .map_err(|e| BucketError::RefusedRestore { name: name.to_owned(), from: target.from.clone(), error: e })?;

        let (known, index_profile) = match &target.index {
            Some(cid) => {
                let contents = read_index(&self.store, cid, u64::MAX - 1)?;
                let known: HashMap<String, EntryRow> = contents.rows.into_iter().map(|r| (r.path.clone(), r)).collect();
                (known, contents.profile)
            }
            None => (HashMap::new(), None),
        };
        let profile_name = target.profile.clone().or(index_profile).unwrap_or_else(|| {
            if target.root.version() == cid::Version::V0 { "unixfs-v0-2015".into() } else { "unixfs-v1-2025".into() }
        });
        let profile = bucket_profile(&profile_name)?;
        let now = now_rfc3339();
        let old = catalog::bucket(&self.db, name)?;
        let version = old.as_ref().map_or(1, |b| b.version + 1).max(target.version.map_or(0, |v| v + 1));
        let rows = tree_rows(&self.store, &target.root, &known, &now, version)?;
        let root_tsize = node_tsize(&self.store, &target.root)?;
        let row = BucketRow {
            name: name.to_owned(),
            profile: profile.name.to_owned(),
            root: target.root,
            root_tsize,
            version,
            change_seq: 1,
            indexed_seq: 0,
            created_at: old.as_ref().map_or_else(|| now.clone(), |b| b.created_at.clone()),
            updated_at: now,
        };
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if catalog::bucket(&tx, name)?.is_none() {
            catalog::insert_bucket(&tx, &row)?;
        }
        catalog::replace_bucket(&tx, &row, &rows)?;
        tx.commit()?;
        crash_point("catalog-committed");
        self.write_index(name, None)?;
        let files = rows.iter().filter(|r| r.kind != ipfs_kit_unixfs::EntryKind::Directory).count() as u64;
        Ok(RestoreReport { bucket: catalog::require_bucket(&self.db, name)?, files, from: target.from })
    }

    fn restore_target(&self, name: &str, from: &RestoreFrom<'_>) -> Result<Target, BucketError> {
        match from {
            RestoreFrom::Snapshot(spec) => {
                let record = self.find_snapshot(spec)?;
                let b = record.buckets.get(name).ok_or_else(|| BucketError::NotInSnapshot {
                    bucket: name.to_owned(),
                    snapshot: record.snapshot_id.clone(),
                })?;
                Ok(Target {
                    root: b.root(&record.snapshot_id)?,
                    index: Some(b.index(&record.snapshot_id)?),
                    profile: Some(b.profile.clone()),
                    version: Some(b.version),
                    from: record.snapshot_id.clone(),
                })
            }
            RestoreFrom::Cid(cid) => cid_target(&self.store, name, cid, &self.limits).map_err(|e| self.absent(cid, e)),
        }
    }

    /// A clearer error for a CID whose root block is not here at all.
    fn absent(&self, cid: &Cid, err: BucketError) -> BucketError {
        match err {
            BucketError::Read(ipfs_kit_unixfs::ReadError::MissingBlock { cid: missing }) if missing == *cid => {
                BucketError::Incomplete(format!(
                    "{cid} is not in the store; import a CAR that holds it first (`ipfs-kit car import`)"
                ))
            }
            other => other,
        }
    }
}

/// Bytes of Parquet index per entry a global snapshot from elsewhere may bring (ours take about
/// 100), so the index it lends metadata from is bounded by the entry limit, not read whatever
/// size it claims (found by fuzzing: a DAG of a few blocks that claims gigabytes).
const FOREIGN_INDEX_BYTES_PER_ENTRY: u64 = 512;

/// What restoring `name` from the DAG at `cid` would mount, read from `source`: the directory
/// itself, or, when it is a global snapshot (it holds `.ipfs-kit`), its entry `name` with the
/// Parquet index the snapshot keeps for it. Everything restore would refuse on is refused here,
/// so `car import --bucket` can ask before it stores a block. The DAG is someone else's: an
/// index that is too big or does not read back is ignored (it only lends metadata), never trusted.
pub(crate) fn cid_target(
    source: &dyn BlockSource,
    name: &str,
    cid: &Cid,
    limits: &TreeLimits,
) -> Result<Target, BucketError> {
    let reader = DagReader::new(source);
    if reader.entry_kind(cid)? != EntryKind::Directory {
        return Err(BucketError::NotADirectory(*cid));
    }
    if reader.lookup(cid, META_DIR)?.is_none() {
        return Ok(Target { root: *cid, index: None, profile: None, version: None, from: cid.to_string() });
    }
    let root = reader
        .lookup(cid, name)?
        .ok_or_else(|| BucketError::NotInSnapshot { bucket: name.to_owned(), snapshot: cid.to_string() })?;
    if reader.entry_kind(&root)? != EntryKind::Directory {
        return Err(BucketError::NotADirectory(root));
    }
    let max = limits.max_entries.saturating_mul(FOREIGN_INDEX_BYTES_PER_ENTRY).max(1 << 20);
    let index = reader
        .resolve(cid, &format!("{META_DIR}/buckets/{name}_vfs.parquet"))
        .ok()
        .filter(|index| file_size(source, index).is_ok_and(|size| size <= max))
        .filter(|index| read_index(source, index, max).is_ok());
    Ok(Target { root, index, profile: None, version: None, from: cid.to_string() })
}

/// A file's size as its root says, without reading it (`check_tree` has made sure the DAG
/// below holds exactly that many bytes).
fn file_size(source: &dyn BlockSource, cid: &Cid) -> Result<u64, BucketError> {
    if cid.codec() == ipfs_kit_unixfs::block::RAW {
        let len = source.block_len(cid).map_err(|e| ipfs_kit_unixfs::ReadError::Source { cid: *cid, source: e })?;
        return Ok(len.unwrap_or(u64::MAX));
    }
    Ok(crate::dag::stat(&DagReader::new(source), cid, 0)?.1)
}

/// A snapshot index's rows, read (at most `max` bytes) and parsed.
fn read_index(source: &dyn BlockSource, cid: &Cid, max: u64) -> Result<index::IndexContents, BucketError> {
    let mut bytes = Vec::new();
    let reader = DagReader::new(source).cat(cid)?;
    let read = std::io::Read::take(reader, max + 1).read_to_end(&mut bytes);
    read.map_err(|e| BucketError::io(std::path::Path::new("snapshot index"))(e))?;
    if bytes.len() as u64 > max {
        return Err(BucketError::BadIndex("larger than an index may be"));
    }
    index::read(Bytes::from(bytes))
}
