//! The bucket operations on one home: create, list, add, files, cat, get, rm-file, mv, rm and
//! find-cid.
//!
//! Every change follows one write order (docs/design.md):
//! 1. new file blocks are written and committed to the block store (no lock needed: blocks that
//!    nothing references are invisible);
//! 2. under the writer lock, one catalog transaction records the new entries, the directories on
//!    the changed paths are rebuilt from the catalog and their blocks committed to the store,
//!    and the bucket's root and version move;
//! 3. the Parquet index is rewritten atomically and marked current.
//!
//! A crash in 1 or 2 leaves the old state (SQLite's commit is the switch); a crash in 3 leaves a
//! stale index that the next command rewrites.
//!
//! Reads (`cat`, `get`) take no lock and change nothing but the read counts (`access.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cid::Cid;
use ipfs_kit_blockstore::{BlockPin, BlockStore, CollectLock, LockHolder, WriterLock};
use ipfs_kit_unixfs::dir::build_directory;
use ipfs_kit_unixfs::reader::DagReader;
use ipfs_kit_unixfs::{EntryKind, ImportObserver, ImportOptions, Profile, TreeLimits, import_path_observed};
use rusqlite::{Connection, TransactionBehavior};

use crate::catalog::{self, BucketRow, EntryRow};
use crate::error::BucketError;
use crate::home::Home;
use crate::index::PathRange;
use crate::names::{check_bucket_name, check_entry_name, join, normalize_path, parent_of};
use crate::staging;
use crate::time::now_rfc3339;
use crate::{access, tree};

/// A bucket with its totals, as `list` and `info` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSummary {
    pub row: BucketRow,
    pub files: u64,
    pub bytes: u64,
}

/// What an add did.
#[derive(Debug, Clone)]
pub struct AddReport {
    pub bucket: BucketRow,
    /// (path in the bucket, CID) of each added PATH.
    pub added: Vec<(String, Cid)>,
    pub files: u64,
    pub bytes: u64,
    pub new_blocks: u64,
    pub new_block_bytes: u64,
}

/// Where a CID was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub bucket: String,
    /// "" for a bucket's root.
    pub path: String,
    pub kind: EntryKind,
}

/// An open home: catalog, block store and lock settings.
pub struct Buckets {
    pub(crate) home: Home,
    pub(crate) db: Connection,
    /// Read counts, apart from the catalog (`access.rs`).
    pub(crate) access: Connection,
    pub(crate) store: BlockStore,
    lock_wait: Duration,
    command: String,
    on_wait: Box<dyn FnMut(&Waiting<'_>)>,
    /// Bounds on DAGs from elsewhere (imports, restores, listings, exports).
    pub(crate) limits: TreeLimits,
    /// Opened on read-only media by `open_existing`: every write is refused with
    /// `ReadOnlyHome`, repairs are skipped and reads are not counted.
    pub(crate) read_only: bool,
}

/// What a command is waiting for, so the CLI can say so.
#[derive(Debug)]
pub enum Waiting<'a> {
    /// Another writer holds the writer lock.
    Writer(&'a LockHolder),
    /// A `gc` is running.
    Collector,
    /// `gc` waits for commands that are writing blocks.
    Writers,
}

impl Buckets {
    /// Opens the home for a command that writes, creating it if needed. A home on read-only
    /// media is refused here, before any work, with `ReadOnlyHome`.
    pub fn open(home: Home) -> Result<Self, BucketError> {
        if home.exists() && !ipfs_kit_blockstore::writable(home.root()) {
            return Err(BucketError::ReadOnlyHome(home.root().to_owned()));
        }
        std::fs::create_dir_all(home.index_dir()).map_err(BucketError::io(&home.index_dir()))?;
        let mut access = access::open(&home.access_path())?;
        let db = catalog::open(&home.catalog_path(), &mut access)?;
        let store = BlockStore::open(&home.store_dir())?;
        Ok(Self::assemble(home, db, access, store, false))
    }

    /// Opens a home that must exist, for a command that reads: a missing home is `NoHome` and
    /// nothing is created. A home on read-only media opens read-only (no file is created or
    /// changed there; see `ipfs_kit_blockstore::read_only`).
    pub fn open_existing(home: Home) -> Result<Self, BucketError> {
        if !home.exists() {
            return Err(BucketError::NoHome(home.root().to_owned()));
        }
        if ipfs_kit_blockstore::writable(home.root()) {
            return Self::open(home);
        }
        let access = access::open_read_only(&home.access_path())?;
        let db = catalog::open_read_only(&home.catalog_path())?;
        let store = BlockStore::open_read_only(&home.store_dir())?;
        Ok(Self::assemble(home, db, access, store, true))
    }

    fn assemble(home: Home, db: Connection, access: Connection, store: BlockStore, read_only: bool) -> Self {
        Buckets {
            home,
            db,
            access,
            store,
            lock_wait: Duration::from_secs(300),
            command: "ipfs-kit".into(),
            on_wait: Box::new(|_| {}),
            limits: TreeLimits::default(),
            read_only,
        }
    }

    /// Whether the home was opened read-only (see `open_existing`).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// How long to wait for another writer, what to call ourselves in the lock, and what to do
    /// when we start waiting.
    pub fn set_lock_policy(&mut self, wait: Duration, command: &str, on_wait: Box<dyn FnMut(&Waiting<'_>)>) {
        self.lock_wait = wait;
        self.command = command.to_owned();
        self.on_wait = on_wait;
    }

    /// The bounds every DAG from elsewhere must keep (docs/design.md, "Limits on untrusted DAGs").
    pub fn set_limits(&mut self, limits: TreeLimits) {
        self.limits = limits;
    }

    pub fn limits(&self) -> &TreeLimits {
        &self.limits
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn store(&self) -> &BlockStore {
        &self.store
    }

    /// The block store alone, for a reader that outlives this handle (the Python package's
    /// file objects), opened as this home was (read-only on read-only media).
    pub fn into_store(self) -> BlockStore {
        self.store
    }

    /// Takes the writer lock. Callers that write blocks take `pin` first (see `gc_lock`).
    pub(crate) fn lock(&mut self) -> Result<WriterLock, BucketError> {
        if self.read_only {
            return Err(BucketError::ReadOnlyHome(self.home.root().to_owned()));
        }
        let on_wait = &mut self.on_wait;
        let mut tell = |holder: &LockHolder| on_wait(&Waiting::Writer(holder));
        Ok(WriterLock::acquire(&self.home.lock_path(), &self.command, self.lock_wait, &mut tell)?)
    }

    pub(crate) fn lock_wait(&self) -> Duration {
        self.lock_wait
    }

    /// Keeps `gc` away from blocks this command writes until it has referenced them.
    pub(crate) fn pin(&mut self) -> Result<BlockPin, BucketError> {
        let on_wait = &mut self.on_wait;
        Ok(self.store.pin(self.lock_wait, &mut || on_wait(&Waiting::Collector))?)
    }

    /// Waits for every block writer to finish and keeps new ones out, for `gc`.
    pub(crate) fn collect_lock(&mut self) -> Result<CollectLock, BucketError> {
        let on_wait = &mut self.on_wait;
        Ok(self.store.collect_lock(self.lock_wait, &mut || on_wait(&Waiting::Writers))?)
    }

    /// Creates an empty bucket whose root is the empty directory of `profile`.
    pub fn create(&mut self, name: &str, profile_name: &str) -> Result<BucketRow, BucketError> {
        check_bucket_name(name)?;
        let profile = bucket_profile(profile_name)?;
        let _pin = self.pin()?;
        let mut writer = self.store.writer();
        let root = build_directory(Vec::new(), &profile, &mut writer)?;
        writer.commit()?;
        let _lock = self.lock()?;
        if catalog::bucket(&self.db, name)?.is_some() {
            return Err(BucketError::BucketExists(name.to_owned()));
        }
        let now = now_rfc3339();
        let row = BucketRow {
            name: name.to_owned(),
            profile: profile.name.to_owned(),
            root: root.cid,
            root_tsize: root.tsize,
            version: 1,
            change_seq: 1,
            indexed_seq: 0,
            created_at: now.clone(),
            updated_at: now,
        };
        catalog::insert_bucket(&self.db, &row)?;
        self.write_index(name, None)?;
        Ok(row)
    }

    pub fn list(&self) -> Result<Vec<BucketSummary>, BucketError> {
        catalog::buckets(&self.db)?.into_iter().map(|row| self.summarize(row)).collect()
    }

    pub fn info(&self, name: &str) -> Result<BucketSummary, BucketError> {
        self.summarize(catalog::require_bucket(&self.db, name)?)
    }

    fn summarize(&self, row: BucketRow) -> Result<BucketSummary, BucketError> {
        let (files, bytes) = catalog::totals(&self.db, &row.name)?;
        Ok(BucketSummary { row, files, bytes })
    }

    /// Adds each of `paths` under its own name inside `to`, like `cp -r`; an existing entry of
    /// the same name is replaced.
    pub fn add(
        &mut self,
        name: &str,
        paths: &[PathBuf],
        to: &str,
        hidden: bool,
        observer: &mut dyn ImportObserver,
    ) -> Result<AddReport, BucketError> {
        let bucket = catalog::require_bucket(&self.db, name)?;
        let profile = bucket_profile(&bucket.profile)?;
        let dest = normalize_path(to)?;
        let options = ImportOptions { hidden, content_digest: true, strict_names: true };
        let _pin = self.pin()?;
        // The rows wait in a TEMP table until the catalog commit (`staging`), not in memory.
        staging::begin(&self.db)?;
        let result = self.add_staged(name, paths, &dest, &profile, &options, observer);
        staging::clear(&self.db);
        result
    }

    fn add_staged(
        &mut self,
        name: &str,
        paths: &[PathBuf],
        dest: &str,
        profile: &Profile,
        options: &ImportOptions,
        observer: &mut dyn ImportObserver,
    ) -> Result<AddReport, BucketError> {
        let mut writer = self.store.writer();
        let mut imports = Vec::new();
        let (mut files, mut bytes) = (0, 0);
        for (slot, path) in paths.iter().enumerate() {
            let target = join(dest, &source_name(path)?);
            let mut stager = staging::Stager { db: &self.db, inner: observer, target: &target, slot, error: None };
            let imported = import_path_observed(path, profile, options, &mut writer, &mut stager)?;
            stager.into_result()?;
            files += imported.files;
            bytes += imported.bytes;
            imports.push((target, imported.node.cid));
        }
        staging::finish(&self.db)?;
        let stats = writer.commit()?;
        crash_point("file-blocks-committed");
        let change = |db: &Connection, version, now: &str| {
            ensure_dir_chain(db, name, dest, version, now)?;
            let mut change = Change::default();
            for (slot, (target, _)) in imports.iter().enumerate() {
                catalog::delete_subtree(db, name, target)?;
                staging::insert_into_entries(db, name, slot, version, now)?;
                change.dirs.push(parent_of(target).to_owned());
                change.rows.push(PathRange::subtree(target));
            }
            Ok(change)
        };
        // A replaced file starts its count over.
        let forget = |counts: &mut Connection| imports.iter().try_for_each(|(t, _)| access::forget(counts, name, t));
        let bucket = self.apply_then(name, change, forget)?;
        Ok(AddReport {
            bucket,
            added: imports,
            files,
            bytes,
            new_blocks: stats.new_blocks,
            new_block_bytes: stats.new_bytes,
        })
    }

    /// Runs one change under the lock: `change` edits entries in a transaction and says which
    /// directories and index rows it touched; the directories are rebuilt, the root moves and
    /// the index is rewritten (only its touched row groups, when it was current before).
    pub(crate) fn apply(
        &mut self,
        name: &str,
        change: impl FnOnce(&Connection, i64, &str) -> Result<Change, BucketError>,
    ) -> Result<BucketRow, BucketError> {
        self.apply_then(name, change, |_| Ok(()))
    }

    /// `apply`, with `counts` run on the read counts after the catalog commit and before the
    /// index is written, so the index shows them moved or forgotten with the entries. A crash
    /// in between leaves counts that no longer apply to any entry (see `access.rs`).
    pub(crate) fn apply_then(
        &mut self,
        name: &str,
        change: impl FnOnce(&Connection, i64, &str) -> Result<Change, BucketError>,
        counts: impl FnOnce(&mut Connection) -> Result<(), BucketError>,
    ) -> Result<BucketRow, BucketError> {
        self.apply_indexing(name, change, counts, true)
    }

    /// `apply_then`; with `index` false the Parquet index is left stale (as a crash would leave
    /// it) for the caller to rewrite later (`reindex`), or the next command's `repair_indexes`.
    pub(crate) fn apply_indexing(
        &mut self,
        name: &str,
        change: impl FnOnce(&Connection, i64, &str) -> Result<Change, BucketError>,
        counts: impl FnOnce(&mut Connection) -> Result<(), BucketError>,
        index: bool,
    ) -> Result<BucketRow, BucketError> {
        let _pin = self.pin()?;
        let _lock = self.lock()?;
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let bucket = catalog::require_bucket(&tx, name)?;
        let profile = bucket_profile(&bucket.profile)?;
        let version = bucket.version + 1;
        let now = now_rfc3339();
        let was_indexed = bucket.indexed_seq == bucket.change_seq;
        let change = change(&tx, version, &now)?;
        let mut writer = self.store.writer();
        let root = tree::rebuild(&tx, name, &profile, change.dirs, &mut writer)?;
        writer.commit()?;
        crash_point("dir-blocks-committed");
        catalog::set_root(&tx, name, &root.cid, root.tsize, version, &now)?;
        tx.commit()?;
        crash_point("catalog-committed");
        counts(&mut self.access)?;
        if index {
            self.write_index(name, was_indexed.then_some(change.rows.as_slice()))?;
        }
        catalog::require_bucket(&self.db, name)
    }

    /// Rewrites any index left stale by a crash. Skips quietly if another writer holds the lock.
    pub fn repair_indexes(&mut self) -> Result<Vec<String>, BucketError> {
        if self.read_only {
            return Ok(Vec::new());
        }
        let stale: Vec<String> = catalog::buckets(&self.db)?
            .into_iter()
            .filter(|b| b.indexed_seq != b.change_seq || !self.home.index_path(&b.name).exists())
            .map(|b| b.name)
            .collect();
        if stale.is_empty() {
            return Ok(stale);
        }
        let Ok(_lock) = WriterLock::acquire(&self.home.lock_path(), &self.command, Duration::ZERO, &mut |_| {}) else {
            return Ok(Vec::new());
        };
        for name in &stale {
            self.write_index(name, None)?;
        }
        Ok(stale)
    }

    /// Files and symlinks whose path starts with `prefix`, with their read counts.
    pub fn files(&self, name: &str, prefix: &str, limit: Option<u64>) -> Result<Vec<EntryRow>, BucketError> {
        catalog::require_bucket(&self.db, name)?;
        let mut rows = catalog::files(&self.db, name, prefix.trim_start_matches('/'), limit)?;
        access::apply(&self.access, name, &mut rows)?;
        Ok(rows)
    }

    /// At most `limit` files and symlinks under `prefix` whose path sorts after `after` (""
    /// for the first page), in path order, without read counts: a page of a listing too long
    /// to show at once.
    pub fn files_after(&self, name: &str, prefix: &str, after: &str, limit: u64) -> Result<Vec<EntryRow>, BucketError> {
        catalog::require_bucket(&self.db, name)?;
        catalog::files_after(&self.db, name, prefix.trim_start_matches('/'), after, limit)
    }

    /// Calls `each(path, cid, size)` for the files and symlinks under `prefix`, streaming.
    pub fn listing(
        &self,
        name: &str,
        prefix: &str,
        limit: Option<u64>,
        each: impl FnMut(&str, &Cid, u64) -> std::io::Result<()>,
    ) -> Result<(), BucketError> {
        catalog::require_bucket(&self.db, name)?;
        catalog::listing(&self.db, name, prefix.trim_start_matches('/'), limit, each)
    }

    /// The entry at `path`, or a clear error. The root ("" or "/") is the bucket's directory.
    pub fn entry(&self, name: &str, path: &str) -> Result<EntryRow, BucketError> {
        let bucket = catalog::require_bucket(&self.db, name)?;
        let path = normalize_path(path)?;
        if path.is_empty() {
            return Ok(EntryRow {
                path,
                kind: EntryKind::Directory,
                cid: bucket.root,
                size: 0,
                tsize: bucket.root_tsize,
                mtime: 0,
                mode: 0o755,
                content_hash: None,
                added_at: bucket.created_at,
                version: bucket.version,
                access_count: 0,
                last_accessed: None,
                object: None,
            });
        }
        catalog::entry(&self.db, name, &path)?
            .ok_or_else(|| BucketError::NoSuchPath { bucket: name.to_owned(), path: path.clone() })
    }

    /// Streams a file's bytes into `out`, verifying every block; returns the byte count. The
    /// read is counted; no lock is taken.
    pub fn cat(&mut self, name: &str, path: &str, out: &mut dyn Write) -> Result<u64, BucketError> {
        let entry = self.entry(name, path)?;
        if entry.kind != EntryKind::File {
            return Err(BucketError::WrongKind { bucket: name.into(), path: entry.path, expected: "file" });
        }
        let mut reader = DagReader::new(&self.store).cat(&entry.cid)?;
        let n = crate::export::copy_verified(&mut reader, out, Path::new("standard output"))?;
        self.record_reads(name, &[&entry])?;
        Ok(n)
    }

    /// Writes the entry at `path` (file, directory or symlink) to `out`, which must not exist.
    /// The tree is built in a temporary sibling and renamed into place, so `out` appears whole.
    /// The files written are counted as read; no lock is taken.
    pub fn get(&mut self, name: &str, path: &str, out: &Path) -> Result<u64, BucketError> {
        let entry = self.entry(name, path)?;
        if out.symlink_metadata().is_ok() {
            return Err(BucketError::BadExport {
                path: out.display().to_string(),
                reason: "already exists; get writes a new file or folder",
            });
        }
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = parent.join(format!(".ipfs-kit-get-{}", std::process::id()));
        let result = crate::export::export(&self.store, &entry.cid, &tmp, &self.limits);
        match result {
            Ok(bytes) => {
                std::fs::rename(&tmp, out).map_err(BucketError::io(out))?;
                let subtree = catalog::subtree(&self.db, name, &entry.path)?;
                let files: Vec<&EntryRow> = subtree.iter().filter(|e| e.kind == EntryKind::File).collect();
                self.record_reads(name, &files)?;
                Ok(bytes)
            }
            Err(err) => {
                let _ = std::fs::remove_dir_all(&tmp).or_else(|_| std::fs::remove_file(&tmp));
                Err(err)
            }
        }
    }

    /// Removes a file or symlink (a directory only with `recursive`).
    pub fn rm_file(&mut self, name: &str, path: &str, recursive: bool) -> Result<BucketRow, BucketError> {
        let entry = self.entry(name, path)?;
        if entry.path.is_empty() {
            return Err(BucketError::BadPath { path: path.to_owned(), reason: "the bucket root cannot be removed" });
        }
        if entry.kind == EntryKind::Directory && !recursive {
            return Err(BucketError::WrongKind {
                bucket: name.into(),
                path: entry.path,
                expected: "file (use --recursive)",
            });
        }
        let change = |db: &Connection, _, _: &str| {
            catalog::delete_subtree(db, name, &entry.path)?;
            Ok(Change { dirs: vec![parent_of(&entry.path).to_owned()], rows: vec![PathRange::subtree(&entry.path)] })
        };
        self.apply_then(name, change, |counts| access::forget(counts, name, &entry.path))
    }

    /// Moves an entry (and everything below it) to a new path whose parent exists.
    pub fn mv(&mut self, name: &str, from: &str, to: &str) -> Result<BucketRow, BucketError> {
        let entry = self.entry(name, from)?;
        if entry.path.is_empty() {
            return Err(BucketError::BadPath { path: from.to_owned(), reason: "the bucket root cannot be moved" });
        }
        let to = normalize_path(to)?;
        if to.is_empty() || to == entry.path || to.starts_with(&format!("{}/", entry.path)) {
            return Err(BucketError::BadPath { path: to, reason: "cannot move an entry onto or into itself" });
        }
        if catalog::entry(&self.db, name, &to)?.is_some() {
            return Err(BucketError::PathExists { bucket: name.into(), path: to });
        }
        let to_parent = parent_of(&to).to_owned();
        if !to_parent.is_empty() {
            match catalog::entry(&self.db, name, &to_parent)? {
                Some(p) if p.kind == EntryKind::Directory => {}
                Some(_) => {
                    return Err(BucketError::WrongKind { bucket: name.into(), path: to_parent, expected: "directory" });
                }
                None => return Err(BucketError::NoSuchPath { bucket: name.into(), path: to_parent }),
            }
        }
        let change = |db: &Connection, version, _: &str| {
            let moved = catalog::subtree(db, name, &entry.path)?;
            catalog::delete_subtree(db, name, &entry.path)?;
            for row in moved {
                let path = format!("{to}{}", &row.path[entry.path.len()..]);
                catalog::insert_entry(db, name, &EntryRow { path, version, ..row })?;
            }
            Ok(Change {
                dirs: vec![parent_of(&entry.path).to_owned(), to_parent.clone()],
                rows: vec![PathRange::subtree(&entry.path), PathRange::subtree(&to)],
            })
        };
        self.apply_then(name, change, |counts| access::move_subtree(counts, name, &entry.path, &to).map(drop))
    }

    /// Deletes a bucket and its index. Its blocks stay until `gc`.
    pub fn rm(&mut self, name: &str) -> Result<(), BucketError> {
        let _lock = self.lock()?;
        catalog::require_bucket(&self.db, name)?;
        let tx = self.db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        catalog::delete_bucket(&tx, name)?;
        tx.commit()?;
        access::forget(&self.access, name, "")?;
        let index = self.home.index_path(name);
        match std::fs::remove_file(&index) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(BucketError::io(&index)(e)),
            _ => {}
        }
        Ok(())
    }

    /// Every bucket path (and bucket root) whose block has this CID's multihash.
    pub fn find_cid(&self, cid: &Cid) -> Result<Vec<Found>, BucketError> {
        let mh = cid.hash().to_bytes();
        let mut found: Vec<Found> = catalog::buckets(&self.db)?
            .into_iter()
            .filter(|b| b.root.hash().to_bytes() == mh)
            .map(|b| Found { bucket: b.name, path: String::new(), kind: EntryKind::Directory })
            .collect();
        found.extend(catalog::find_multihash(&self.db, &mh)?.into_iter().map(|(bucket, path, kind)| Found {
            bucket,
            path,
            kind,
        }));
        Ok(found)
    }
}

/// What one change touched: directories to rebuild and index rows to rewrite.
#[derive(Debug, Default)]
pub(crate) struct Change {
    pub(crate) dirs: Vec<String>,
    pub(crate) rows: Vec<PathRange>,
}

/// Fault injection for crash tests: `IPFS_KIT_CRASH_AT=<point>` aborts the process there, as a
/// `kill -9` would, with nothing flushed or cleaned up.
pub(crate) fn crash_point(point: &str) {
    if std::env::var_os("IPFS_KIT_CRASH_AT").is_some_and(|p| p == point) {
        std::process::abort();
    }
}

/// The profiles a bucket may use: the IPIP-499 ones, whose directories keep every entry.
pub(crate) fn bucket_profile(name: &str) -> Result<Profile, BucketError> {
    let profile = Profile::named(name)?;
    if !profile.keep_empty_dirs {
        return Err(BucketError::UnsupportedProfile(name.to_owned()));
    }
    Ok(profile)
}

/// The name a source path goes in under: its last component, resolving `.` and the like.
fn source_name(path: &Path) -> Result<String, BucketError> {
    let named = match path.file_name() {
        Some(n) => n.to_owned(),
        None => {
            std::fs::canonicalize(path).map_err(BucketError::io(path))?.file_name().map(ToOwned::to_owned).ok_or_else(
                || BucketError::BadPath { path: path.display().to_string(), reason: "has no name to add under" },
            )?
        }
    };
    let name = named
        .into_string()
        .map_err(|_| BucketError::BadPath { path: path.display().to_string(), reason: "name is not UTF-8" })?;
    check_entry_name(&name).map_err(|reason| BucketError::BadPath { path: name.clone(), reason })?;
    Ok(name)
}

/// Makes sure `dir` and its ancestors exist as directories, creating missing ones. New rows
/// get a placeholder node; the rebuild that follows gives them their real one.
pub(crate) fn ensure_dir_chain(
    db: &Connection,
    bucket: &str,
    dir: &str,
    version: i64,
    now: &str,
) -> Result<(), BucketError> {
    let mut missing = Vec::new();
    let mut at = dir.to_owned();
    while !at.is_empty() {
        match catalog::entry(db, bucket, &at)? {
            Some(e) if e.kind == EntryKind::Directory => break,
            Some(_) => return Err(BucketError::WrongKind { bucket: bucket.into(), path: at, expected: "directory" }),
            None => missing.push(at.clone()),
        }
        at = parent_of(&at).to_owned();
    }
    let placeholder = build_directory(Vec::new(), &Profile::default(), &mut ipfs_kit_unixfs::NullSink)?;
    for path in missing {
        let row = EntryRow {
            path,
            kind: EntryKind::Directory,
            cid: placeholder.cid,
            size: 0,
            tsize: placeholder.tsize,
            mtime: 0,
            mode: 0o755,
            content_hash: None,
            added_at: now.to_owned(),
            version,
            access_count: 0,
            last_accessed: None,
            object: None,
        };
        catalog::insert_entry(db, bucket, &row)?;
    }
    Ok(())
}
