//! `bucket snapshot`, `bucket snapshots`, `bucket log` and `bucket diff`.
//!
//! Write order of a snapshot (under the collection pin and the writer lock):
//! 1. stale indexes are rewritten (current ones get the read counts added since); each taken
//!    bucket's index, as it would be with no file read (so reads change no history), is stored
//!    as a UnixFS file (unless the catalog already knows its CID), the global directory is
//!    built, and the record's own block is added; all of it is committed to the block store;
//! 2. the snapshot file is written atomically: this is the commit point;
//! 3. the manifest (a copy of the latest record) is written atomically.
//!
//! A crash before 2 leaves unreferenced blocks for `gc`; between 2 and 3 a manifest one
//! snapshot behind, which the next command rewrites (`repair_manifest`).

use std::collections::{BTreeMap, HashMap};

use cid::Cid;
use ipfs_kit_unixfs::block::{MemoryBlocks, RAW, sha256_cid};
use ipfs_kit_unixfs::diff::{DiffEntry, diff};
use ipfs_kit_unixfs::dir::{DirEntry, build_directory};
use ipfs_kit_unixfs::{BlockSink, BlockSource, DagReader, Node, Profile};

use crate::buckets::{Buckets, crash_point};
use crate::catalog;
use crate::cids::base58btc;
use crate::dag::link_tsize;
use crate::error::BucketError;
use crate::manifest::{self, BucketRecord, FORMAT, FORMAT_VERSION, META_DIR, SnapshotRecord};
use crate::time::now_rfc3339;

/// What `snapshot` did.
#[derive(Debug, Clone)]
pub struct SnapshotOutcome {
    pub record: SnapshotRecord,
    /// False when nothing changed since the latest snapshot, which is returned instead.
    pub created: bool,
}

/// One version of a bucket as the snapshots recorded it.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// `None` for the working state, when it is newer than every snapshot.
    pub snapshot: Option<SnapshotRecord>,
    pub version: i64,
    pub root: String,
    pub files: u64,
    pub bytes: u64,
    pub at: String,
}

/// Which state of a bucket a diff side means.
#[derive(Debug, Clone)]
pub struct DiffSide {
    /// A snapshot id, a CID, or "working".
    pub label: String,
    /// `None`: the bucket does not exist on this side (everything is added or removed).
    pub root: Option<Cid>,
}

#[derive(Debug, Clone)]
pub struct DiffReport {
    pub from: DiffSide,
    pub to: DiffSide,
    pub entries: Vec<DiffEntry>,
}

/// The global snapshot DAG: a directory of bucket roots, plus `.ipfs-kit/buckets/` with the
/// indexes. It uses the default profile whatever the buckets use (a CIDv0 root is linked as is).
fn global_directory(records: &BTreeMap<String, BucketRecord>, sink: &mut dyn BlockSink) -> Result<Node, BucketError> {
    let profile = Profile::default();
    let mut roots = Vec::new();
    let mut indexes = Vec::new();
    for (name, rec) in records {
        let root = rec.root(name)?;
        roots.push(DirEntry { name: name.clone(), node: Node { cid: root, filesize: 0, tsize: rec.dag_size } });
        let index = rec.index(name)?;
        indexes.push(DirEntry {
            name: format!("{name}_vfs.parquet"),
            node: Node { cid: index, filesize: 0, tsize: rec.index_dag_size },
        });
    }
    let buckets = build_directory(indexes, &profile, sink)?;
    let meta = build_directory(vec![DirEntry { name: "buckets".into(), node: buckets }], &profile, sink)?;
    roots.push(DirEntry { name: META_DIR.into(), node: meta });
    Ok(build_directory(roots, &profile, sink)?)
}

impl Buckets {
    /// Snapshots `names` (every bucket when empty). Buckets not named keep the state the
    /// previous snapshot recorded for them, so every snapshot shows the whole home.
    pub fn snapshot(&mut self, names: &[String], message: Option<&str>) -> Result<SnapshotOutcome, BucketError> {
        for name in names {
            catalog::require_bucket(&self.db, name)?;
        }
        let _pin = self.pin()?;
        let _lock = self.lock()?;
        let history = manifest::list(&self.home)?;
        let parent = history.last();
        let mut writer = self.store.writer();
        let mut records = BTreeMap::new();
        let mut stored_indexes = Vec::new();
        for bucket in catalog::buckets(&self.db)? {
            let name = bucket.name.clone();
            if !names.is_empty() && !names.contains(&name) {
                if let Some(prev) = parent.and_then(|p| p.buckets.get(&name)) {
                    records.insert(name, prev.clone());
                }
                continue;
            }
            if bucket.indexed_seq != bucket.change_seq || !self.home.index_path(&name).exists() {
                self.write_index(&name, None)?;
            } else {
                self.refresh_index(&name)?;
            }
            let bucket = catalog::require_bucket(&self.db, &name)?;
            let (index, index_tsize) = match catalog::index_cid(&self.db, &name)? {
                Some(cid) if self.store.has(&cid)? => (cid, link_tsize(&self.store, &cid)?),
                _ => {
                    let (path, temporary) = self.unread_index(&name)?;
                    let imported = std::fs::File::open(&path).map_err(BucketError::io(&path)).and_then(|mut file| {
                        Ok(ipfs_kit_unixfs::file::import_file(&mut file, &path, &Profile::default(), &mut writer)?)
                    });
                    if temporary {
                        let _ = std::fs::remove_file(&path);
                    }
                    let node = imported?;
                    stored_indexes.push((name.clone(), node.cid));
                    (node.cid, node.tsize)
                }
            };
            let (files, bytes) = catalog::totals(&self.db, &name)?;
            records.insert(
                name.clone(),
                BucketRecord {
                    content_hash: base58btc(&bucket.root),
                    snapshot_hash: base58btc(&index),
                    parquet_file: format!("buckets/{name}_vfs.parquet"),
                    file_count: files,
                    total_size_bytes: bytes,
                    version: bucket.version,
                    car_ready: true,
                    profile: bucket.profile.clone(),
                    dag_size: bucket.root_tsize,
                    index_dag_size: index_tsize,
                },
            );
        }
        let global = global_directory(&records, &mut writer)?;
        let global_hash = base58btc(&global.cid);
        if let Some(parent) = parent.filter(|p| p.global_hash == global_hash) {
            return Ok(SnapshotOutcome { record: parent.clone(), created: false });
        }
        let created_at = now_rfc3339();
        let mut record = SnapshotRecord {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            snapshot_id: SnapshotRecord::make_id(&manifest::stamp(&created_at), &global.cid),
            sequence: parent.map_or(1, |p| p.sequence + 1),
            created_at,
            message: message.map(str::to_owned),
            parent: parent.map(|p| p.global_hash.clone()),
            bucket_count: records.len() as u64,
            total_files: records.values().map(|r| r.file_count).sum(),
            total_size_bytes: records.values().map(|r| r.total_size_bytes).sum(),
            global_hash,
            manifest_hash: String::new(),
            buckets: records,
        };
        if history.iter().any(|r| r.snapshot_id == record.snapshot_id) {
            // The same tree again within one second (A, B, A): keep ids unique.
            record.snapshot_id = format!("{}_{}", record.snapshot_id, record.sequence);
        }
        let body = record.canonical_bytes();
        let manifest_cid = sha256_cid(1, RAW, &body);
        writer.put(&manifest_cid, &body).map_err(BucketError::Sink)?;
        record.manifest_hash = base58btc(&manifest_cid);
        writer.commit()?;
        for (name, cid) in &stored_indexes {
            catalog::set_index_cid(&self.db, name, cid)?;
        }
        crash_point("snapshot-blocks-committed");
        manifest::write_snapshot(&self.home, &record)?;
        crash_point("snapshot-written");
        manifest::write_manifest(&self.home, &record)?;
        crash_point("manifest-written");
        Ok(SnapshotOutcome { record, created: true })
    }

    /// Every snapshot, oldest first.
    pub fn snapshots(&self) -> Result<Vec<SnapshotRecord>, BucketError> {
        manifest::list(&self.home)
    }

    /// Rewrites the manifest if a crash left it behind the latest snapshot. Skips quietly if
    /// another writer holds the lock.
    pub fn repair_manifest(&mut self) -> Result<bool, BucketError> {
        if self.read_only || manifest::manifest_looks_current(&self.home) {
            return Ok(false);
        }
        let latest = manifest::list(&self.home)?.pop();
        let current = manifest::read_manifest(&self.home).ok().flatten();
        if latest == current {
            return Ok(false);
        }
        let Ok(_lock) = ipfs_kit_blockstore::WriterLock::acquire(
            &self.home.lock_path(),
            "ipfs-kit",
            std::time::Duration::ZERO,
            &mut |_| {},
        ) else {
            return Ok(false);
        };
        match latest {
            Some(record) => manifest::write_manifest(&self.home, &record)?,
            None => remove_if_present(&self.home.manifest_path())?,
        }
        Ok(true)
    }

    /// A snapshot by id (`snapshot_…`, with or without the `snapshot_` prefix) or by its
    /// global CID in any multibase.
    pub fn find_snapshot(&self, spec: &str) -> Result<SnapshotRecord, BucketError> {
        let records = manifest::list(&self.home)?;
        let cid = Cid::try_from(spec).ok();
        let wanted = |r: &SnapshotRecord| {
            r.snapshot_id == spec
                || r.snapshot_id.strip_prefix("snapshot_") == Some(spec)
                || cid.is_some_and(|c| r.global_cid().is_ok_and(|g| g.hash() == c.hash()))
        };
        // The newest match: a global CID can repeat (A, B, A).
        records.into_iter().rev().find(wanted).ok_or_else(|| BucketError::NoSuchSnapshot(spec.to_owned()))
    }

    /// The versions of one bucket that snapshots recorded, newest first, headed by the working
    /// state when it is newer.
    pub fn log(&self, name: &str) -> Result<Vec<LogEntry>, BucketError> {
        let live = catalog::bucket(&self.db, name)?;
        let mut out: Vec<LogEntry> = Vec::new();
        for record in manifest::list(&self.home)?.into_iter().rev() {
            let Some(b) = record.buckets.get(name) else { continue };
            if out.last().is_some_and(|l| l.version == b.version && l.root == b.content_hash) {
                // An older snapshot of the same version: the entry is the first that had it.
                let last = out.last_mut().expect("checked");
                last.at = record.created_at.clone();
                last.snapshot = Some(record.clone());
                continue;
            }
            out.push(LogEntry {
                version: b.version,
                root: b.content_hash.clone(),
                files: b.file_count,
                bytes: b.total_size_bytes,
                at: record.created_at.clone(),
                snapshot: Some(record.clone()),
            });
        }
        if out.is_empty() && live.is_none() {
            return Err(BucketError::NoSuchBucket(name.to_owned()));
        }
        if let Some(bucket) = live {
            let root = base58btc(&bucket.root);
            if out.first().is_none_or(|l| l.root != root || l.version != bucket.version) {
                let (files, bytes) = catalog::totals(&self.db, name)?;
                let entry =
                    LogEntry { snapshot: None, version: bucket.version, root, files, bytes, at: bucket.updated_at };
                out.insert(0, entry);
            }
        }
        Ok(out)
    }

    /// Resolves one side of a diff: "working" (or none for `to`), a snapshot, or a global CID.
    fn diff_side(&self, name: &str, spec: Option<&str>, default_latest: bool) -> Result<DiffSide, BucketError> {
        let working = || -> Result<DiffSide, BucketError> {
            let root = catalog::bucket(&self.db, name)?.map(|b| b.root);
            Ok(DiffSide { label: "working".into(), root })
        };
        let spec = match spec {
            Some("working") => return working(),
            Some(spec) => spec.to_owned(),
            None if default_latest => match manifest::list(&self.home)?.pop() {
                Some(latest) => latest.snapshot_id,
                None => {
                    return Err(BucketError::NoSuchSnapshot("(none taken yet; run `ipfs-kit bucket snapshot`)".into()));
                }
            },
            None => return working(),
        };
        match self.find_snapshot(&spec) {
            Ok(record) => {
                let root = record.buckets.get(name).map(|b| b.root(&record.snapshot_id)).transpose()?;
                Ok(DiffSide { label: record.snapshot_id, root })
            }
            Err(BucketError::NoSuchSnapshot(_)) if Cid::try_from(spec.as_str()).is_ok() => {
                // A global CID whose record is not here (imported from elsewhere).
                let cid = Cid::try_from(spec.as_str()).expect("checked");
                let root = DagReader::new(&self.store).lookup(&cid, name)?;
                Ok(DiffSide { label: spec, root })
            }
            Err(err) => Err(err),
        }
    }

    /// Added, removed and modified paths of a bucket between two states: `from` defaults to
    /// the latest snapshot and `to` to the working state.
    pub fn diff(&self, name: &str, from: Option<&str>, to: Option<&str>) -> Result<DiffReport, BucketError> {
        let from = self.diff_side(name, from, true)?;
        let to = self.diff_side(name, to, false)?;
        if from.root.is_none() && to.root.is_none() {
            return Err(BucketError::NoSuchBucket(name.to_owned()));
        }
        // A missing side is the empty directory, which need not be in the store.
        let mut empty = MemoryBlocks::new();
        let empty_dir = build_directory(Vec::new(), &Profile::default(), &mut empty)?.cid;
        let source = WithBlocks { store: &self.store, extra: &empty };
        let entries = diff(&DagReader::new(&source), &from.root.unwrap_or(empty_dir), &to.root.unwrap_or(empty_dir))?;
        Ok(DiffReport { from, to, entries })
    }
}

fn remove_if_present(path: &std::path::Path) -> Result<(), BucketError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(BucketError::io(path)(e)),
        _ => Ok(()),
    }
}

/// The store, plus a few blocks of our own.
struct WithBlocks<'a> {
    store: &'a dyn BlockSource,
    extra: &'a MemoryBlocks,
}

impl BlockSource for WithBlocks<'_> {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        match self.extra.get(cid)? {
            Some(bytes) => Ok(Some(bytes)),
            None => self.store.get(cid),
        }
    }
}

/// Lists the buckets a global snapshot directory holds, with their roots (for `check`).
pub fn global_entries(store: &dyn BlockSource, global: &Cid) -> Result<HashMap<String, Cid>, BucketError> {
    Ok(DagReader::new(store)
        .list(global)?
        .into_iter()
        .filter(|e| e.name != META_DIR)
        .map(|e| (e.name, e.cid))
        .collect())
}
