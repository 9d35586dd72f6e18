//! Files written one at a time from a byte stream, with what an S3 client sent beside them:
//! the write path of `ipfs-kit serve --s3`.
//!
//! A write is two steps, as in `bucket add`: the bytes become blocks ([`ObjectBlocks`], one pack
//! for any number of files, made durable by `commit`), then one catalog transaction per bucket
//! references them ([`Buckets::apply_objects`], any number of changes). The block pin that
//! `commit` hands back must be held until `apply_objects` returns, so `gc` cannot sweep the new
//! blocks in between. Many small writes then cost one pack fsync and one catalog commit
//! together instead of one each.
//!
//! S3 has no directories: a put creates the directories above its key, and a delete removes the
//! directories it leaves empty, so a bucket written only through S3 has the tree (and the root
//! CID) that `ipfs-kit hash` gives for the same files on disk.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

use ipfs_kit_blockstore::{BlockPin, PackWriter};
use ipfs_kit_unixfs::file::{FileImporter, ImportedFile};
use ipfs_kit_unixfs::{EntryKind, Node, Profile};
use rusqlite::Connection;

use crate::buckets::{Buckets, Change, bucket_profile, ensure_dir_chain};
use crate::catalog::{self, BucketRow, EntryRow, ObjectAttrs};
use crate::error::BucketError;
use crate::index::PathRange;
use crate::names::{normalize_path, parent_of};

/// A file to put at `path`, whose blocks are already committed.
#[derive(Debug, Clone)]
pub struct ObjectWrite {
    pub path: String,
    pub node: Node,
    /// SHA-256 of the bytes, when known (the catalog's `content_hash`).
    pub sha256: Option<[u8; 32]>,
    pub attrs: ObjectAttrs,
    /// Seconds since the epoch.
    pub mtime: i64,
    /// The multipart upload this write completes: it is dropped in the same transaction.
    pub completes: Option<String>,
}

/// One change of a batch given to [`Buckets::apply_objects`].
#[derive(Debug, Clone)]
pub enum ObjectChange {
    /// Adds or replaces the file at the path, creating the directories above it.
    Put(Box<ObjectWrite>),
    /// Removes the file (or symlink) at the path, and the directories this leaves empty. A path
    /// with nothing there, or with a directory, is left alone without error (S3 deletes are
    /// idempotent, and the key `a` is not the folder `a/`).
    Delete(String),
    /// Makes sure a directory exists at the path (an S3 "folder" key ending in `/`).
    MkDir(String),
    /// Removes the directory at the path if it is empty (deleting an S3 folder key), and the
    /// directories this leaves empty. Anything else there is left alone without error.
    RmDir(String),
}

/// New blocks of one or more files, not yet durable.
pub struct ObjectBlocks<'b> {
    writer: PackWriter<'b>,
    pin: BlockPin,
}

impl ObjectBlocks<'_> {
    /// Imports one file's bytes. `size_hint` sizes the first read (an exact length reads a small
    /// file in one go). An error from `reader` (a cut or unverified body) fails the import; the
    /// blocks already written are dropped with the batch unless it is committed later.
    pub fn import(
        &mut self,
        profile: &Profile,
        reader: &mut dyn Read,
        size_hint: Option<u64>,
    ) -> Result<ImportedFile, BucketError> {
        let mut files = FileImporter::new(profile);
        files.content_digest = true;
        Ok(files.import(reader, Path::new("object body"), size_hint, &mut self.writer, &mut |_| {})?)
    }

    /// Joins the file DAGs `parts` (in order) into the DAG of their concatenated bytes, reusing
    /// their leaves: only the new inner nodes are written. This gives the CID that importing
    /// the whole file gives when every part but the last is a whole number of chunks, and
    /// `None` otherwise (or for a DAG not shaped as this importer writes), in which case the
    /// caller imports the bytes again.
    pub fn join(
        &mut self,
        profile: &Profile,
        parts: &[Node],
        source: &dyn ipfs_kit_unixfs::BlockSource,
    ) -> Result<Option<Node>, BucketError> {
        let chunk = profile.chunk_size as u64;
        let Some((last, init)) = parts.split_last() else {
            return Ok(None);
        };
        if init.iter().any(|p| p.filesize == 0 || p.filesize % chunk != 0) || (init.is_empty() && last.filesize == 0) {
            return Ok(None);
        }
        let reader = ipfs_kit_unixfs::DagReader::trusting(source);
        let mut layout = ipfs_kit_unixfs::file::BalancedLayout::new(profile);
        for part in parts.iter().filter(|p| p.filesize > 0) {
            let leaves = match reader.file_leaves(*part) {
                Ok(leaves) => leaves,
                Err(ipfs_kit_unixfs::ReadError::SizeMismatch { .. }) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            for leaf in leaves {
                layout.push(leaf, &mut self.writer)?;
            }
        }
        Ok(Some(layout.finish(&mut self.writer)?))
    }

    /// Makes the imported blocks durable and visible. The returned pin keeps `gc` from them
    /// until it drops: hold it until the catalog change that references them is committed.
    pub fn commit(self) -> Result<BlockPin, BucketError> {
        self.writer.commit()?;
        crate::buckets::crash_point("object-blocks-committed");
        Ok(self.pin)
    }
}

impl Buckets {
    /// Starts writing the blocks of new files (taking the block pin first, as `add` does,
    /// waiting for a running `gc` up to the lock wait, silently). Borrows the home shared, so
    /// the new file's bytes may come from its own store (a multipart upload's parts).
    pub fn object_blocks(&self) -> Result<ObjectBlocks<'_>, BucketError> {
        let pin = self.store.pin(self.lock_wait(), &mut || {})?;
        Ok(ObjectBlocks { writer: self.store.writer(), pin })
    }

    /// The import profile of a bucket.
    pub fn profile(&self, name: &str) -> Result<Profile, BucketError> {
        bucket_profile(&catalog::require_bucket(&self.db, name)?.profile)
    }

    /// Applies `changes`, in order, in one catalog transaction of bucket `name`: one new
    /// version, one root, one index update. A change that cannot be made (a put under a file, a
    /// put onto a directory) is refused alone, with its error in the returned list (one entry
    /// per change); the others go through. The bucket itself missing fails the whole call.
    ///
    /// With `index` false the Parquet index is left stale, to be rewritten once for many
    /// batches (`reindex`); until then it is what a crash would leave, which every command
    /// repairs on open.
    pub fn apply_objects(
        &mut self,
        name: &str,
        changes: &[ObjectChange],
        index: bool,
    ) -> Result<(BucketRow, Vec<Result<(), BucketError>>), BucketError> {
        let mut outcomes = Vec::with_capacity(changes.len());
        let touched = RefCell::new(Vec::new());
        let change = |db: &Connection, version: i64, now: &str| {
            let mut change = Change::default();
            for one in changes {
                db.execute_batch("SAVEPOINT object_change")?;
                let result = apply_one(db, name, one, version, now, &mut change);
                match &result {
                    Ok(()) => db.execute_batch("RELEASE object_change")?,
                    Err(_) => db.execute_batch("ROLLBACK TO object_change; RELEASE object_change")?,
                }
                if result.is_ok() {
                    touched.borrow_mut().push(change_path(one).to_owned());
                }
                outcomes.push(result);
            }
            Ok(change)
        };
        let forget = |counts: &mut Connection| {
            touched.borrow().iter().try_for_each(|path| crate::access::forget(counts, name, path))
        };
        let row = self.apply_indexing(name, change, forget, index)?;
        Ok((row, outcomes))
    }
}

fn change_path(change: &ObjectChange) -> &str {
    match change {
        ObjectChange::Put(w) => &w.path,
        ObjectChange::Delete(p) | ObjectChange::MkDir(p) | ObjectChange::RmDir(p) => p,
    }
}

fn apply_one(
    db: &Connection,
    bucket: &str,
    change: &ObjectChange,
    version: i64,
    now: &str,
    out: &mut Change,
) -> Result<(), BucketError> {
    let path = normalize_path(change_path(change))?;
    if path.is_empty() {
        return Err(BucketError::BadPath { path, reason: "an object needs a name" });
    }
    match change {
        ObjectChange::Put(write) => {
            if let Some(existing) = catalog::entry(db, bucket, &path)?
                && existing.kind == EntryKind::Directory
            {
                return Err(BucketError::WrongKind {
                    bucket: bucket.into(),
                    path,
                    expected: "file (a directory is there)",
                });
            }
            ensure_dir_chain(db, bucket, parent_of(&path), version, now)?;
            let row = EntryRow {
                path: path.clone(),
                kind: EntryKind::File,
                cid: write.node.cid,
                size: write.node.filesize,
                tsize: write.node.tsize,
                mtime: write.mtime,
                mode: 0o644,
                content_hash: write.sha256,
                added_at: now.to_owned(),
                version,
                access_count: 0,
                last_accessed: None,
                object: Some(write.attrs.clone()),
            };
            catalog::insert_entry(db, bucket, &row)?;
            if let Some(id) = &write.completes {
                crate::uploads::finish(db, id)?;
            }
            out.dirs.push(parent_of(&path).to_owned());
            out.rows.push(PathRange::subtree(&path));
        }
        ObjectChange::MkDir(_) => {
            match catalog::entry(db, bucket, &path)? {
                Some(e) if e.kind == EntryKind::Directory => return Ok(()),
                Some(_) => {
                    return Err(BucketError::WrongKind { bucket: bucket.into(), path, expected: "directory" });
                }
                None => {}
            }
            ensure_dir_chain(db, bucket, &path, version, now)?;
            out.dirs.push(parent_of(&path).to_owned());
            out.dirs.push(path.clone());
            out.rows.push(PathRange::subtree(&path));
        }
        ObjectChange::Delete(_) | ObjectChange::RmDir(_) => {
            let Some(existing) = catalog::entry(db, bucket, &path)? else {
                return Ok(());
            };
            let is_dir = existing.kind == EntryKind::Directory;
            let wanted_dir = matches!(change, ObjectChange::RmDir(_));
            // A directory with keys below it goes only with them.
            if is_dir != wanted_dir || (is_dir && !catalog::children(db, bucket, &path)?.is_empty()) {
                return Ok(());
            }
            catalog::delete_subtree(db, bucket, &path)?;
            out.rows.push(PathRange::subtree(&path));
            let mut dir = parent_of(&path).to_owned();
            while !dir.is_empty() && catalog::children(db, bucket, &dir)?.is_empty() {
                catalog::delete_subtree(db, bucket, &dir)?;
                out.rows.push(PathRange::subtree(&dir));
                dir = parent_of(&dir).to_owned();
            }
            out.dirs.push(dir);
        }
    }
    Ok(())
}
