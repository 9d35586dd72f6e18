//! Rows of an import waiting for their catalog commit, kept in a TEMP table of the catalog
//! connection instead of in memory.
//!
//! `bucket add` stores file blocks before it takes the writer lock (so imports run in parallel),
//! and only then writes the entries, in one transaction. Holding the entries in a `Vec` until
//! then cost about 250 bytes per file (32 MB for 100,000 files); a TEMP table written to a
//! temporary file (`temp_store = FILE`) keeps them in SQLite's bounded page cache. The table is
//! private to this connection: nothing another process sees, nothing a crash leaves behind.
//! Writing it takes no lock on the catalog (a TEMP-only transaction never touches main).

use ipfs_kit_unixfs::{ImportObserver, ImportedEntry};
use rusqlite::{Connection, params};

use crate::error::BucketError;
use crate::names::{join, name_of, parent_of};

/// The staged columns are the catalog's own (`entries`, without bucket, added_at and
/// version), plus the slot; rows keep their staging order in `rowid`.
const SCHEMA: &str = "
PRAGMA temp_store = FILE;
CREATE TEMP TABLE IF NOT EXISTS staged AS
    SELECT 0 AS slot, path, parent, name, kind, cid, mh, size, tsize, mtime, mode, content_hash
    FROM main.entries WHERE 0;
DELETE FROM temp.staged;
";

/// Starts a staging: empties the table and opens the TEMP-only transaction rows go into.
pub(crate) fn begin(db: &Connection) -> Result<(), BucketError> {
    db.execute_batch(SCHEMA)?;
    db.execute_batch("BEGIN DEFERRED")?;
    Ok(())
}

/// Ends the writing of rows (they stay until `clear`).
pub(crate) fn finish(db: &Connection) -> Result<(), BucketError> {
    db.execute_batch("COMMIT")?;
    Ok(())
}

/// Drops what `begin` staged (after the catalog commit, or when the import failed).
pub(crate) fn clear(db: &Connection) {
    if !db.is_autocommit() {
        let _ = db.execute_batch("ROLLBACK");
    }
    let _ = db.execute_batch("DELETE FROM temp.staged");
}

/// Writes the rows staged in `slot` into the bucket's entries, at `version`, added `now`.
pub(crate) fn insert_into_entries(
    db: &Connection,
    bucket: &str,
    slot: usize,
    version: i64,
    now: &str,
) -> Result<(), BucketError> {
    let mut stmt = db.prepare_cached(
        "INSERT OR REPLACE INTO entries (bucket, path, parent, name, kind, cid, mh, size, tsize, mtime, mode, \
         content_hash, added_at, version) \
         SELECT ?1, path, parent, name, kind, cid, mh, size, tsize, mtime, mode, content_hash, ?2, ?3 \
         FROM temp.staged WHERE slot = ?4 ORDER BY rowid",
    )?;
    stmt.execute(params![bucket, now, version, slot as i64])?;
    Ok(())
}

/// Stages each imported entry under `target`, in `slot` (one per source path: two sources of
/// the same name are two slots, the later replacing the earlier), passing the reports on to
/// `inner` (progress). `ImportObserver` cannot fail, so the first error is kept for
/// `into_result`.
pub(crate) struct Stager<'a> {
    pub db: &'a Connection,
    pub inner: &'a mut dyn ImportObserver,
    pub target: &'a str,
    pub slot: usize,
    pub error: Option<BucketError>,
}

impl Stager<'_> {
    pub(crate) fn into_result(self) -> Result<(), BucketError> {
        self.error.map_or(Ok(()), Err)
    }

    fn stage(&self, e: &ImportedEntry<'_>) -> Result<(), BucketError> {
        let path = join(self.target, e.rel_path);
        let mut stmt = self.db.prepare_cached(
            "INSERT INTO temp.staged (slot, path, parent, name, kind, cid, mh, size, tsize, mtime, mode, \
             content_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        stmt.execute(params![
            self.slot as i64,
            path,
            parent_of(&path),
            name_of(&path),
            crate::catalog::kind_code(e.kind),
            e.node.cid.to_bytes(),
            e.node.cid.hash().to_bytes(),
            e.node.filesize,
            e.node.tsize,
            e.mtime,
            e.mode,
            e.sha256.map(|h| h.to_vec()),
        ])?;
        Ok(())
    }
}

impl ImportObserver for Stager<'_> {
    fn entry(&mut self, e: &ImportedEntry<'_>) {
        if self.error.is_none()
            && let Err(err) = self.stage(e)
        {
            self.error = Some(err);
        }
        self.inner.entry(e);
    }

    fn start_file(&mut self, path: &std::path::Path, len: u64) {
        self.inner.start_file(path, len);
    }

    fn progress(&mut self, bytes: u64) {
        self.inner.progress(bytes);
    }
}
