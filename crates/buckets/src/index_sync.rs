//! Keeping a bucket's Parquet index in step with the catalog (content) and the read statistics
//! (`access_count`, `last_accessed`).
//!
//! Content changes rewrite the index under the writer lock, as every change does. Reads do not
//! write it (they take no lock); the counts they add reach the file the next time it is
//! written under the lock: by a change to the bucket, a `bucket snapshot` (`refresh_index`),
//! `bucket reindex` or `check --repair`. Each write re-encodes the row groups a change touched
//! and those holding files read since the file was last written, and copies the rest.
//!
//! A snapshot stores the index without read counts (`unread_index`), so the history a snapshot
//! hashes depends on content alone: a snapshot, reads, and a snapshot again find no change.

#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;

use rusqlite::Connection;

use crate::access;
use crate::buckets::{Buckets, crash_point};
use crate::catalog::{self, EntryRow};
use crate::error::BucketError;
use crate::index::{self, PathRange, RowSource};

/// The catalog as the index's row source: content only, every file unread.
pub(crate) struct CatalogRows<'a> {
    pub db: &'a Connection,
    pub bucket: &'a str,
}

impl RowSource for CatalogRows<'_> {
    fn rows_between(
        &self,
        lo: Option<&str>,
        hi: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<EntryRow>, BucketError> {
        catalog::files_between(self.db, self.bucket, lo, hi, limit)
    }

    fn count_between(&self, lo: Option<&str>, hi: Option<&str>) -> Result<usize, BucketError> {
        catalog::count_files_between(self.db, self.bucket, lo, hi)
    }
}

/// The catalog's rows with their read counts: what the working index shows.
struct CountedRows<'a> {
    catalog: CatalogRows<'a>,
    access: &'a Connection,
}

impl RowSource for CountedRows<'_> {
    fn count_between(&self, lo: Option<&str>, hi: Option<&str>) -> Result<usize, BucketError> {
        self.catalog.count_between(lo, hi)
    }

    fn rows_between(
        &self,
        lo: Option<&str>,
        hi: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<EntryRow>, BucketError> {
        let mut rows = self.catalog.rows_between(lo, hi, limit)?;
        access::apply(self.access, self.catalog.bucket, &mut rows)?;
        Ok(rows)
    }
}

impl Buckets {
    /// Rewrites a bucket's Parquet index from the catalog and the read counts, and marks it
    /// current. `changed` lists the rows changed since the index on disk was current, when that
    /// is known; rows of files read since the file was written are added to it. The caller
    /// holds the writer lock.
    pub(crate) fn write_index(&self, name: &str, changed: Option<&[PathRange]>) -> Result<(), BucketError> {
        let bucket = catalog::require_bucket(&self.db, name)?;
        let path = self.home.index_path(name);
        let on_disk = index::stamp(&path).filter(|s| s.change_seq == bucket.indexed_seq);
        // One view of the counts for the whole write, so the file's mark says what it shows.
        let counts = self.access.unchecked_transaction()?;
        let reads = access::since(&counts, name, on_disk.as_ref().map(|s| s.access.as_str()))?;
        let ranges: Option<Vec<PathRange>> = match (changed, reads.paths) {
            (Some(changed), Some(read)) => {
                Some(changed.iter().cloned().chain(read.iter().map(|p| PathRange::single(p))).collect())
            }
            _ => None,
        };
        let source = CountedRows { catalog: CatalogRows { db: &self.db, bucket: name }, access: &counts };
        index::write(&path, &bucket, &source, ranges.as_deref(), &reads.mark)?;
        counts.finish()?;
        crash_point("index-written");
        catalog::set_indexed_seq(&self.db, name, bucket.change_seq)
    }

    /// Brings the read counts in a current index up to date; a stale or missing index is
    /// rewritten whole. Does nothing when no file was read since the index was written. The
    /// caller holds the writer lock.
    pub(crate) fn refresh_index(&self, name: &str) -> Result<(), BucketError> {
        let bucket = catalog::require_bucket(&self.db, name)?;
        let path = self.home.index_path(name);
        let on_disk = index::stamp(&path).filter(|s| s.change_seq == bucket.change_seq);
        let Some(on_disk) = on_disk.filter(|_| bucket.indexed_seq == bucket.change_seq) else {
            return self.write_index(name, None);
        };
        let counts = self.access.unchecked_transaction()?;
        let reads = access::since(&counts, name, Some(&on_disk.access))?;
        counts.finish()?;
        if reads.mark == on_disk.access || reads.paths.as_ref().is_some_and(Vec::is_empty) {
            return Ok(());
        }
        self.write_index(name, Some(&[]))
    }

    /// The snapshot copy of a bucket's current index: the index as it would be had no file been
    /// read, and whether it is a temporary file (which the caller removes once imported). An
    /// index that shows no counts is its own copy. The caller holds the writer lock, and the
    /// index is current.
    pub(crate) fn unread_index(&self, name: &str) -> Result<(PathBuf, bool), BucketError> {
        let bucket = catalog::require_bucket(&self.db, name)?;
        let working = self.home.index_path(name);
        if index::stamp(&working).is_some_and(|s| s.change_seq == bucket.change_seq && s.access == access::NO_READS) {
            return Ok((working, false));
        }
        let out = self.home.index_dir().join(format!(".{name}_vfs.unread.parquet"));
        let source = CatalogRows { db: &self.db, bucket: name };
        index::write_unread(&working, &out, &bucket, &source)?;
        Ok((out, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::BucketRow;
    use ipfs_kit_unixfs::EntryKind;
    use ipfs_kit_unixfs::block::{RAW, sha256_cid};

    /// Rows for `n` files, with `reads` of the files at the given indexes.
    struct Synthetic {
        n: usize,
        reads: Vec<usize>,
    }

    impl RowSource for Synthetic {
        fn count_between(&self, lo: Option<&str>, hi: Option<&str>) -> Result<usize, BucketError> {
            Ok(self.rows_between(lo, hi, None)?.len())
        }

        fn rows_between(
            &self,
            lo: Option<&str>,
            hi: Option<&str>,
            limit: Option<usize>,
        ) -> Result<Vec<EntryRow>, BucketError> {
            let rows = (0..self.n).map(|i| {
                let path = format!("d/f{i:06}");
                let cid = sha256_cid(1, RAW, path.as_bytes());
                let read = self.reads.contains(&i);
                EntryRow {
                    path,
                    kind: EntryKind::File,
                    cid,
                    size: i as u64,
                    tsize: i as u64,
                    mtime: 0,
                    mode: 0o644,
                    content_hash: None,
                    added_at: "2026-01-01T00:00:00.000000Z".into(),
                    version: 1,
                    access_count: if read { 3 } else { 0 },
                    last_accessed: read.then(|| "2026-02-01T00:00:00.000000Z".into()),
                    object: None,
                }
            });
            Ok(rows
                .filter(|r| lo.is_none_or(|lo| r.path.as_str() > lo) && hi.is_none_or(|hi| r.path.as_str() <= hi))
                .take(limit.unwrap_or(usize::MAX))
                .collect())
        }
    }

    #[test]
    fn the_unread_copy_of_a_read_index_is_the_index_never_read() {
        let dir = std::env::temp_dir().join(format!("ipfs-kit-unread-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (never, working, unread) =
            (dir.join("never.parquet"), dir.join("working.parquet"), dir.join("unread.parquet"));
        let bucket = BucketRow {
            name: "b".into(),
            profile: "unixfs-v1-2025".into(),
            root: sha256_cid(1, RAW, b"root"),
            root_tsize: 4,
            version: 1,
            change_seq: 2,
            indexed_seq: 2,
            created_at: String::new(),
            updated_at: String::new(),
        };
        // Three row groups; reads fall in the first and the last.
        let plain = Synthetic { n: 20_000, reads: Vec::new() };
        let read = Synthetic { n: 20_000, reads: vec![5, 19_999] };
        index::write(&never, &bucket, &plain, None, access::NO_READS).unwrap();
        std::fs::copy(&never, &working).unwrap();
        let changed = [PathRange::single("d/f000005"), PathRange::single("d/f019999")];
        index::write(&working, &bucket, &read, Some(&changed), "e:7").unwrap();
        let counts = |p: &Path| -> Vec<i64> {
            let rows = index::read(std::fs::read(p).unwrap().into()).unwrap().rows;
            rows.iter().map(|r| r.access_count).filter(|c| *c != 0).collect()
        };
        assert_eq!(counts(&working), [3, 3]);
        assert_eq!(index::stamp(&working).unwrap().access, "e:7");
        index::write_unread(&working, &unread, &bucket, &plain).unwrap();
        assert!(counts(&unread).is_empty());
        assert!(std::fs::read(&unread).unwrap() == std::fs::read(&never).unwrap(), "byte for byte");
        // So is any incremental write: the read groups re-encoded, the other one copied.
        index::write(&working, &bucket, &plain, Some(&changed), access::NO_READS).unwrap();
        assert!(std::fs::read(&working).unwrap() == std::fs::read(&never).unwrap(), "copied groups are as written");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
