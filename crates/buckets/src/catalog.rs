//! The bucket catalog: every bucket's root, profile and version, and one row per entry (file,
//! directory, symlink) with the link data its parent directory needs.
//!
//! This is the source of truth for buckets; the DAG is derived from it (directories are rebuilt
//! from their children's rows) and so is the Parquet index. Keeping each entry's CID and `Tsize`
//! here is what lets a one-file change rebuild only the directories on its path, without reading
//! or re-hashing any other file. SQLite in WAL mode gives atomic commits and concurrent readers.

use std::path::Path;

use cid::Cid;
use ipfs_kit_unixfs::EntryKind;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::BucketError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    root BLOB NOT NULL,
    root_tsize INTEGER NOT NULL,
    version INTEGER NOT NULL,
    change_seq INTEGER NOT NULL,
    indexed_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    file_count INTEGER NOT NULL DEFAULT 0,
    total_size INTEGER NOT NULL DEFAULT 0,
    index_cid BLOB
);
CREATE TABLE IF NOT EXISTS entries (
    bucket TEXT NOT NULL,
    path TEXT NOT NULL,
    parent TEXT NOT NULL,
    name TEXT NOT NULL,
    kind INTEGER NOT NULL,
    cid BLOB NOT NULL,
    mh BLOB NOT NULL,
    size INTEGER NOT NULL,
    tsize INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    mode INTEGER NOT NULL,
    content_hash BLOB,
    added_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    md5 BLOB,
    parts INTEGER,
    meta TEXT,
    PRIMARY KEY (bucket, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_children ON entries (bucket, parent, name);
CREATE INDEX IF NOT EXISTS entries_mh ON entries (mh);
-- A bucket's file count and size follow its rows in the same transaction, so `list` and `info`
-- need no scan. Directories (kind 1) are not counted.
CREATE TRIGGER IF NOT EXISTS entries_count_insert AFTER INSERT ON entries WHEN NEW.kind != 1 BEGIN
    UPDATE buckets SET file_count = file_count + 1, total_size = total_size + NEW.size WHERE name = NEW.bucket;
END;
CREATE TRIGGER IF NOT EXISTS entries_count_delete AFTER DELETE ON entries WHEN OLD.kind != 1 BEGIN
    UPDATE buckets SET file_count = file_count - 1, total_size = total_size - OLD.size WHERE name = OLD.bucket;
END;
CREATE TRIGGER IF NOT EXISTS entries_count_update AFTER UPDATE OF kind, size ON entries BEGIN
    UPDATE buckets SET
        file_count = file_count - (OLD.kind != 1) + (NEW.kind != 1),
        total_size = total_size - (CASE WHEN OLD.kind != 1 THEN OLD.size ELSE 0 END)
                                + (CASE WHEN NEW.kind != 1 THEN NEW.size ELSE 0 END)
    WHERE name = NEW.bucket;
END;
";

/// A bucket's catalog row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRow {
    pub name: String,
    pub profile: String,
    pub root: Cid,
    pub root_tsize: u64,
    pub version: i64,
    /// Counts every change to the bucket's entries. Reads are not changes: they are counted in
    /// `access.sqlite` (see `access.rs`).
    pub change_seq: i64,
    /// The `change_seq` the Parquet index on disk shows.
    pub indexed_seq: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One entry of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    /// `a/b/c` below the bucket root.
    pub path: String,
    pub kind: EntryKind,
    pub cid: Cid,
    /// File bytes (0 for directories and symlinks).
    pub size: u64,
    /// Cumulative DAG size, the parent link's `Tsize`.
    pub tsize: u64,
    pub mtime: i64,
    pub mode: u32,
    /// SHA-256 of a file's bytes.
    pub content_hash: Option<[u8; 32]>,
    pub added_at: String,
    /// The bucket version in which this entry last changed.
    pub version: i64,
    /// Reads of the file: not in the catalog (rows read from it say 0 and `None`), filled in from
    /// the read statistics (`access::apply`) where a view shows them.
    pub access_count: i64,
    pub last_accessed: Option<String>,
    /// What an S3 client wrote with the file (`ipfs-kit serve --s3`); `None` for files added
    /// any other way. A row replaced by `bucket add` loses it, so it never describes other bytes.
    pub object: Option<ObjectAttrs>,
}

/// A file's S3 attributes, kept beside its CID: the MD5 its ETag is made of, and the metadata
/// its writer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectAttrs {
    /// MD5 of the bytes (single part), or of the parts' MD5s (multipart); `None` when not
    /// known (a copy of a file added by `bucket add`).
    pub md5: Option<[u8; 16]>,
    /// The number of parts of a multipart upload; `None` for a single PUT.
    pub parts: Option<u32>,
    /// Content-Type, user metadata and the like, as the S3 layer encodes them.
    pub meta: Option<String>,
}

/// Opens the catalog, creating its tables. `access` is the home's read statistics, which an
/// older layout's read counts move to.
pub fn open(path: &Path, access: &mut Connection) -> Result<Connection, BucketError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(BucketError::io(dir))?;
    }
    check_schema_version(path)?;
    let db = ipfs_kit_blockstore::open_sqlite(path, &format!("{SCHEMA}{}", crate::uploads::SCHEMA))?;
    migrate(&db, access)?;
    // INSERT OR REPLACE must fire the delete trigger for the row it replaces.
    db.pragma_update(None, "recursive_triggers", "ON")?;
    Ok(db)
}

/// Opens the catalog of a read-only home (`ipfs_kit_blockstore::read_only`). An older layout
/// cannot be migrated there, so it is refused with what to do.
pub fn open_read_only(path: &Path) -> Result<Connection, BucketError> {
    let db = ipfs_kit_blockstore::open_sqlite_read_only(path)?;
    let found: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if !(1..=SCHEMA_VERSION).contains(&found) {
        return Err(BucketError::CatalogVersion { path: path.to_owned(), found, expected: SCHEMA_VERSION });
    }
    if found < SCHEMA_VERSION {
        return Err(BucketError::ReadOnlyOldLayout { path: path.to_owned(), found, expected: SCHEMA_VERSION });
    }
    Ok(db)
}

/// The catalog layout this build reads and writes, kept in SQLite's `user_version`.
/// 1: issue 3's layout; 2: adds `buckets.index_cid`; 3: read counts move out of `entries`
/// (`access_count`, `last_accessed`) into `access.sqlite`; 4: S3 attributes of entries (`md5`,
/// `parts`, `meta`).
pub const SCHEMA_VERSION: i64 = 4;

/// Brings an older layout up to date in one transaction. A new file has every table from
/// `SCHEMA` already and only needs its version set.
fn migrate(db: &Connection, access: &mut Connection) -> Result<(), BucketError> {
    let found: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    db.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<(), BucketError> {
        // Re-read under the write lock: another process may have migrated meanwhile.
        let found: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found < 2 && !has_column(db, "buckets", "index_cid")? {
            db.execute_batch("ALTER TABLE buckets ADD COLUMN index_cid BLOB")?;
        }
        if found < 3 && has_column(db, "entries", "access_count")? {
            // Counts first (that write is committed on its own and overwrites on a second run),
            // then the columns go, in this transaction.
            access_to_stats(db, access)?;
            db.execute_batch("ALTER TABLE entries DROP COLUMN access_count")?;
        }
        if found < 3 && has_column(db, "entries", "last_accessed")? {
            db.execute_batch("ALTER TABLE entries DROP COLUMN last_accessed")?;
        }
        for column in ["md5 BLOB", "parts INTEGER", "meta TEXT"] {
            let name = column.split(' ').next().expect("a column name");
            if found < 4 && !has_column(db, "entries", name)? {
                db.execute_batch(&format!("ALTER TABLE entries ADD COLUMN {column}"))?;
            }
        }
        db.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(())
    })();
    match result {
        Ok(()) => db.execute_batch("COMMIT")?,
        Err(_) => db.execute_batch("ROLLBACK")?,
    }
    result
}

fn has_column(db: &Connection, table: &str, column: &str) -> Result<bool, BucketError> {
    Ok(db.query_row("SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2", [table, column], |r| r.get(0))?)
}

/// Copies layout 2's read counts to the read statistics.
fn access_to_stats(db: &Connection, access: &mut Connection) -> Result<(), BucketError> {
    let has_last = has_column(db, "entries", "last_accessed")?;
    let last = if has_last { "COALESCE(last_accessed, added_at)" } else { "added_at" };
    let sql = format!("SELECT bucket, path, added_at, access_count, {last} FROM entries WHERE access_count > 0");
    let mut stmt = db.prepare(&sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(crate::access::Counted {
                bucket: r.get(0)?,
                path: r.get(1)?,
                added_at: r.get(2)?,
                count: r.get(3)?,
                last_read: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    crate::access::import(access, &rows)
}

/// Refuses a catalog written with another layout, instead of failing later on a missing
/// column. A new file (or one with no tables yet) is fine.
fn check_schema_version(path: &Path) -> Result<(), BucketError> {
    if !path.exists() {
        return Ok(());
    }
    let db = rusqlite::Connection::open(path)?;
    let found: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let has_tables: bool =
        db.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE name = 'buckets'", [], |r| r.get(0))?;
    // Older layouts are migrated on open; newer ones belong to a newer ipfs-kit.
    if has_tables && !(1..=SCHEMA_VERSION).contains(&found) {
        return Err(BucketError::CatalogVersion { path: path.to_owned(), found, expected: SCHEMA_VERSION });
    }
    Ok(())
}

pub(crate) fn kind_code(kind: EntryKind) -> i64 {
    match kind {
        EntryKind::File => 0,
        EntryKind::Directory => 1,
        EntryKind::Symlink => 2,
    }
}

fn kind_of(code: i64) -> EntryKind {
    match code {
        1 => EntryKind::Directory,
        2 => EntryKind::Symlink,
        _ => EntryKind::File,
    }
}

fn cid_of(bytes: Vec<u8>) -> rusqlite::Result<Cid> {
    Cid::try_from(bytes)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, e.into()))
}

fn bucket_from(r: &Row<'_>) -> rusqlite::Result<BucketRow> {
    Ok(BucketRow {
        name: r.get(0)?,
        profile: r.get(1)?,
        root: cid_of(r.get(2)?)?,
        root_tsize: r.get(3)?,
        version: r.get(4)?,
        change_seq: r.get(5)?,
        indexed_seq: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

const BUCKET_COLUMNS: &str =
    "name, profile, root, root_tsize, version, change_seq, indexed_seq, created_at, updated_at";
const ENTRY_COLUMNS: &str =
    "path, kind, cid, size, tsize, mtime, mode, content_hash, added_at, version, md5, parts, meta";

fn entry_from(r: &Row<'_>) -> rusqlite::Result<EntryRow> {
    let hash: Option<Vec<u8>> = r.get(7)?;
    Ok(EntryRow {
        path: r.get(0)?,
        kind: kind_of(r.get(1)?),
        cid: cid_of(r.get(2)?)?,
        size: r.get(3)?,
        tsize: r.get(4)?,
        mtime: r.get(5)?,
        mode: r.get(6)?,
        content_hash: hash.and_then(|h| h.try_into().ok()),
        added_at: r.get(8)?,
        version: r.get(9)?,
        access_count: 0,
        last_accessed: None,
        object: object_from(r.get(10)?, r.get(11)?, r.get(12)?),
    })
}

fn object_from(md5: Option<Vec<u8>>, parts: Option<u32>, meta: Option<String>) -> Option<ObjectAttrs> {
    if md5.is_none() && parts.is_none() && meta.is_none() {
        return None;
    }
    Some(ObjectAttrs { md5: md5.and_then(|m| m.try_into().ok()), parts, meta })
}

pub fn bucket(db: &Connection, name: &str) -> Result<Option<BucketRow>, BucketError> {
    let sql = format!("SELECT {BUCKET_COLUMNS} FROM buckets WHERE name = ?1");
    Ok(db.prepare_cached(&sql)?.query_row([name], bucket_from).optional()?)
}

/// The bucket, or the error a user should see when it is missing.
pub fn require_bucket(db: &Connection, name: &str) -> Result<BucketRow, BucketError> {
    bucket(db, name)?.ok_or_else(|| BucketError::NoSuchBucket(name.to_owned()))
}

pub fn buckets(db: &Connection) -> Result<Vec<BucketRow>, BucketError> {
    let sql = format!("SELECT {BUCKET_COLUMNS} FROM buckets ORDER BY name");
    let mut stmt = db.prepare_cached(&sql)?;
    let rows = stmt.query_map([], bucket_from)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// SQLite's `quick_check` of the catalog: `None` when it is sound, else its first complaint
/// (and how many more there are).
pub fn quick_check(db: &Connection) -> Result<Option<String>, BucketError> {
    let mut stmt = db.prepare("PRAGMA quick_check(20)")?;
    let lines: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(match lines.as_slice() {
        [ok] if ok == "ok" => None,
        [] => Some("quick_check returned nothing".into()),
        [first] => Some(first.clone()),
        [first, rest @ ..] => Some(format!("{first} (and {} more problems)", rest.len())),
    })
}

/// Adds a bucket. A name that differs from an existing one only by case is refused: the
/// Parquet indexes `B_vfs.parquet` and `b_vfs.parquet` would be one file on a case-insensitive
/// filesystem (macOS, Windows, many network shares).
pub fn insert_bucket(db: &Connection, b: &BucketRow) -> Result<(), BucketError> {
    let folded = b.name.to_lowercase();
    let mut names = db.prepare_cached("SELECT name FROM buckets")?;
    let clash = names.query_map([], |r| r.get::<_, String>(0))?.find_map(|n| match n {
        Ok(n) if n != b.name && n.to_lowercase() == folded => Some(Ok(n)),
        Ok(_) => None,
        Err(e) => Some(Err(e)),
    });
    if let Some(existing) = clash.transpose()? {
        return Err(BucketError::CaseClash { name: b.name.clone(), existing });
    }
    db.execute(
        &format!("INSERT INTO buckets ({BUCKET_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            b.name,
            b.profile,
            b.root.to_bytes(),
            b.root_tsize,
            b.version,
            b.change_seq,
            b.indexed_seq,
            b.created_at,
            b.updated_at
        ],
    )?;
    Ok(())
}

pub fn set_root(
    db: &Connection,
    name: &str,
    root: &Cid,
    tsize: u64,
    version: i64,
    now: &str,
) -> Result<(), BucketError> {
    db.execute(
        "UPDATE buckets SET root = ?2, root_tsize = ?3, version = ?4, updated_at = ?5, change_seq = change_seq + 1 \
         WHERE name = ?1",
        params![name, root.to_bytes(), tsize, version, now],
    )?;
    Ok(())
}

/// Marks the index file current. The CID a snapshot stored for the index (its copy without
/// read counts) still applies if the file shows the same change as before (it was rewritten
/// for read counts or a repair); after a content change it does not.
pub fn set_indexed_seq(db: &Connection, name: &str, seq: i64) -> Result<(), BucketError> {
    db.execute(
        "UPDATE buckets SET index_cid = CASE WHEN indexed_seq = ?2 THEN index_cid END, indexed_seq = ?2 \
         WHERE name = ?1",
        params![name, seq],
    )?;
    Ok(())
}

/// The CID of the snapshot copy of the bucket's current index, when a snapshot has stored it.
pub fn index_cid(db: &Connection, name: &str) -> Result<Option<Cid>, BucketError> {
    let bytes: Option<Vec<u8>> =
        db.query_row("SELECT index_cid FROM buckets WHERE name = ?1", [name], |r| r.get(0)).optional()?.flatten();
    Ok(bytes.map(cid_of).transpose()?)
}

pub fn set_index_cid(db: &Connection, name: &str, cid: &Cid) -> Result<(), BucketError> {
    db.execute("UPDATE buckets SET index_cid = ?2 WHERE name = ?1", params![name, cid.to_bytes()])?;
    Ok(())
}

/// Every stored index CID: roots for `gc`, since a snapshot may reuse them.
pub fn index_cids(db: &Connection) -> Result<Vec<Cid>, BucketError> {
    let mut stmt = db.prepare("SELECT index_cid FROM buckets WHERE index_cid IS NOT NULL")?;
    let rows = stmt.query_map([], |r| cid_of(r.get(0)?))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Replaces a bucket's whole state: its entries, root, profile and version (a restore).
pub fn replace_bucket(db: &Connection, bucket: &BucketRow, rows: &[EntryRow]) -> Result<(), BucketError> {
    db.execute("DELETE FROM entries WHERE bucket = ?1", [&bucket.name])?;
    db.execute(
        "UPDATE buckets SET profile = ?2, root = ?3, root_tsize = ?4, version = ?5, updated_at = ?6, \
         change_seq = change_seq + 1 WHERE name = ?1",
        params![
            bucket.name,
            bucket.profile,
            bucket.root.to_bytes(),
            bucket.root_tsize,
            bucket.version,
            bucket.updated_at
        ],
    )?;
    for row in rows {
        insert_entry(db, &bucket.name, row)?;
    }
    Ok(())
}

pub fn delete_bucket(db: &Connection, name: &str) -> Result<(), BucketError> {
    db.execute("DELETE FROM entries WHERE bucket = ?1", [name])?;
    db.execute("DELETE FROM buckets WHERE name = ?1", [name])?;
    Ok(())
}

pub fn entry(db: &Connection, bucket: &str, path: &str) -> Result<Option<EntryRow>, BucketError> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE bucket = ?1 AND path = ?2");
    Ok(db.prepare_cached(&sql)?.query_row([bucket, path], entry_from).optional()?)
}

/// The (name, CID, Tsize) links of a directory, from its children's rows.
pub fn children(db: &Connection, bucket: &str, parent: &str) -> Result<Vec<(String, Cid, u64)>, BucketError> {
    // Without ANALYZE statistics SQLite prefers a scan of the whole bucket by primary key.
    let mut stmt = db.prepare_cached(
        "SELECT name, cid, tsize FROM entries INDEXED BY entries_children WHERE bucket = ?1 AND parent = ?2",
    )?;
    let rows = stmt
        .query_map([bucket, parent], |r| Ok((r.get(0)?, cid_of(r.get(1)?)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Files and symlinks whose path starts with `prefix`, in path order.
pub fn files(db: &Connection, bucket: &str, prefix: &str, limit: Option<u64>) -> Result<Vec<EntryRow>, BucketError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM entries WHERE bucket = ?1 AND kind != 1 AND path >= ?2 AND path < ?3 \
         ORDER BY path LIMIT ?4"
    );
    let upper = format!("{prefix}\u{10ffff}");
    let limit = limit.map_or(-1, |l| l as i64);
    let mut stmt = db.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![bucket, prefix, upper, limit], entry_from)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Like `files`, from the first path after `after`: one page of a long listing, found by a
/// seek on the primary key rather than by skipping the pages before it.
pub fn files_after(
    db: &Connection,
    bucket: &str,
    prefix: &str,
    after: &str,
    limit: u64,
) -> Result<Vec<EntryRow>, BucketError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM entries WHERE bucket = ?1 AND kind != 1 AND path >= ?2 AND path < ?3 \
         AND path > ?4 ORDER BY path LIMIT ?5"
    );
    let upper = format!("{prefix}\u{10ffff}");
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = db.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![bucket, prefix, upper, after, limit], entry_from)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Path, CID and size of files and symlinks whose path starts with `prefix`, in path order:
/// the plain `bucket files` listing, without the columns it does not print.
pub fn listing(
    db: &Connection,
    bucket: &str,
    prefix: &str,
    limit: Option<u64>,
    mut each: impl FnMut(&str, &Cid, u64) -> std::io::Result<()>,
) -> Result<(), BucketError> {
    let mut stmt = db.prepare_cached(
        "SELECT path, cid, size FROM entries WHERE bucket = ?1 AND kind != 1 AND path >= ?2 AND path < ?3 \
         ORDER BY path LIMIT ?4",
    )?;
    let upper = format!("{prefix}\u{10ffff}");
    let mut rows = stmt.query(params![bucket, prefix, upper, limit.map_or(-1, |l| l as i64)])?;
    while let Some(row) = rows.next()? {
        let path = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        let cid = Cid::try_from(row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Blob, e.into()))?;
        each(path, &cid, row.get(2)?).map_err(|source| BucketError::Io { path: "standard output".into(), source })?;
    }
    Ok(())
}

/// The first `limit` (all, for `None`) files and symlinks with `lo < path <= hi` (either bound
/// may be open), in path order.
pub fn files_between(
    db: &Connection,
    bucket: &str,
    lo: Option<&str>,
    hi: Option<&str>,
    limit: Option<usize>,
) -> Result<Vec<EntryRow>, BucketError> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE {} ORDER BY path LIMIT ?4", between(lo, hi));
    let mut stmt = db.prepare_cached(&sql)?;
    let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let rows = stmt.query_map(params![bucket, lo, hi, limit], entry_from)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// How many rows `files_between` returns without a limit.
pub fn count_files_between(
    db: &Connection,
    bucket: &str,
    lo: Option<&str>,
    hi: Option<&str>,
) -> Result<usize, BucketError> {
    let sql = format!("SELECT count(*) FROM entries WHERE {}", between(lo, hi));
    let n: i64 = db.prepare_cached(&sql)?.query_row(params![bucket, lo, hi], |r| r.get(0))?;
    Ok(n as usize)
}

/// The condition of `files_between` on `?1` (bucket), `?2` (lo) and `?3` (hi).
fn between(lo: Option<&str>, hi: Option<&str>) -> String {
    // Plain comparisons only, so SQLite seeks on the primary key instead of scanning the bucket.
    let lower = if lo.is_some() { "AND path > ?2" } else { "AND ?2 IS NULL" };
    let upper = if hi.is_some() { "AND path <= ?3" } else { "AND ?3 IS NULL" };
    format!("bucket = ?1 AND kind != 1 {lower} {upper}")
}

/// Every entry at or below `path` ("" for the whole bucket), in path order.
pub fn subtree(db: &Connection, bucket: &str, path: &str) -> Result<Vec<EntryRow>, BucketError> {
    // Two range scans on the primary key; an OR of both would make SQLite scan the table.
    let mut rows = Vec::new();
    if !path.is_empty() {
        rows.extend(entry(db, bucket, path)?);
    }
    let sql =
        format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE bucket = ?1 AND path > ?2 AND path < ?3 ORDER BY path");
    let (lo, hi) = below(path);
    let mut stmt = db.prepare_cached(&sql)?;
    for row in stmt.query_map(params![bucket, lo, hi], entry_from)? {
        rows.push(row?);
    }
    Ok(rows)
}

/// Every entry of a bucket, in path order, handed to `each` one at a time (a bucket's rows
/// can be more than a caller should hold; `check` streams them).
pub fn each_entry(db: &Connection, bucket: &str, mut each: impl FnMut(EntryRow)) -> Result<(), BucketError> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE bucket = ?1 ORDER BY path");
    let mut stmt = db.prepare_cached(&sql)?;
    let mut rows = stmt.query([bucket])?;
    while let Some(row) = rows.next()? {
        each(entry_from(row)?);
    }
    Ok(())
}

/// The exclusive bounds of the paths strictly below `path`.
fn below(path: &str) -> (String, String) {
    if path.is_empty() {
        (String::new(), "\u{10ffff}".to_owned())
    } else {
        (format!("{path}/"), format!("{path}/\u{10ffff}"))
    }
}

pub fn delete_subtree(db: &Connection, bucket: &str, path: &str) -> Result<usize, BucketError> {
    let (lo, hi) = below(path);
    let own =
        db.prepare_cached("DELETE FROM entries WHERE bucket = ?1 AND path = ?2")?.execute(params![bucket, path])?;
    let under = db
        .prepare_cached("DELETE FROM entries WHERE bucket = ?1 AND path > ?2 AND path < ?3")?
        .execute(params![bucket, lo, hi])?;
    Ok(own + under)
}

pub fn insert_entry(db: &Connection, bucket: &str, e: &EntryRow) -> Result<(), BucketError> {
    let mut stmt = db.prepare_cached(
        "INSERT OR REPLACE INTO entries (bucket, path, parent, name, kind, cid, mh, size, tsize, mtime, mode, \
         content_hash, added_at, version, md5, parts, meta) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?;
    stmt.execute(params![
        bucket,
        e.path,
        crate::names::parent_of(&e.path),
        crate::names::name_of(&e.path),
        kind_code(e.kind),
        e.cid.to_bytes(),
        e.cid.hash().to_bytes(),
        e.size,
        e.tsize,
        e.mtime,
        e.mode,
        e.content_hash.map(|h| h.to_vec()),
        e.added_at,
        e.version,
        e.object.as_ref().and_then(|o| o.md5.map(|m| m.to_vec())),
        e.object.as_ref().and_then(|o| o.parts),
        e.object.as_ref().and_then(|o| o.meta.as_deref()),
    ])?;
    Ok(())
}

/// Points a directory row at its rebuilt node.
pub fn set_entry_node(db: &Connection, bucket: &str, path: &str, cid: &Cid, tsize: u64) -> Result<(), BucketError> {
    db.prepare_cached("UPDATE entries SET cid = ?3, mh = ?4, tsize = ?5 WHERE bucket = ?1 AND path = ?2")?
        .execute(params![bucket, path, cid.to_bytes(), cid.hash().to_bytes(), tsize])?;
    Ok(())
}

/// Entries (in any bucket) whose block has this multihash.
pub fn find_multihash(db: &Connection, mh: &[u8]) -> Result<Vec<(String, String, EntryKind)>, BucketError> {
    let mut stmt = db.prepare_cached("SELECT bucket, path, kind FROM entries WHERE mh = ?1 ORDER BY bucket, path")?;
    let rows = stmt.query_map([mh], |r| Ok((r.get(0)?, r.get(1)?, kind_of(r.get(2)?))))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// (files, bytes) of a bucket.
pub fn totals(db: &Connection, bucket: &str) -> Result<(u64, u64), BucketError> {
    Ok(db.query_row("SELECT file_count, total_size FROM buckets WHERE name = ?1", [bucket], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?)
}
