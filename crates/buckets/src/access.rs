//! Read statistics (`access_count`, `last_accessed`): how often and when each file was read by
//! `bucket cat` or `bucket get`.
//!
//! They live in `<home>/access.sqlite`, apart from the catalog, because a read is not a change:
//! - counting a read must not move the bucket's `change_seq`, rewrite its index or take the
//!   writer lock, so a read never waits for a writer and the next `bucket snapshot` finds no
//!   change (a snapshot records content, not use);
//! - a reader's short transaction here never queues behind a writer's catalog transaction,
//!   which holds SQLite's write lock on `catalog.sqlite` for the length of a change;
//! - losing this file loses counts, never content, so it is written with `synchronous=NORMAL`
//!   (WAL: safe against a crashed process, a power cut may drop the last few reads).
//!
//! A row is keyed by (bucket, path) and remembers the `added_at` of the entry it counted. The
//! catalog and this file are not changed in one transaction, so a count applies to an entry only
//! while it is the entry that was read: re-adding a file starts its count over, and a row left
//! behind by a crash between the two files never lends its count to a newer file.
//!
//! Every recording transaction takes the next value of a clock. The Parquet index records which
//! clock value it shows (`ipfs_kit.access_seq` = `<epoch>:<seq>`; the epoch tells a new
//! `access.sqlite` from the one the index was written with), so the next index write re-encodes
//! only the row groups of files read since. An index of a bucket with no counts records
//! `none` instead: it is then exactly the copy a snapshot stores (see `index_sync.rs`).

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior, params};

use crate::buckets::Buckets;
use crate::catalog::EntryRow;
use crate::error::BucketError;
use crate::time::now_rfc3339;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reads (
    bucket TEXT NOT NULL,
    path TEXT NOT NULL,
    added_at TEXT NOT NULL,
    count INTEGER NOT NULL,
    last_read TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (bucket, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reads_seq ON reads (bucket, seq);
CREATE TABLE IF NOT EXISTS clock (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL
);
";

/// The layout of `access.sqlite`, in its `user_version`.
const LAYOUT: i64 = 1;

/// What an index that shows no read counts records instead of a clock value (a snapshot's
/// copy, or the index of a bucket none of whose files was read).
pub const NO_READS: &str = "none";

/// Opens (creating if needed) the read statistics of a home.
pub fn open(path: &Path) -> Result<Connection, BucketError> {
    let db = Connection::open(path)?;
    db.busy_timeout(std::time::Duration::from_secs(10))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "NORMAL")?;
    db.execute_batch(SCHEMA)?;
    let found: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > LAYOUT {
        return Err(BucketError::CatalogVersion { path: path.to_owned(), found, expected: LAYOUT });
    }
    if found < LAYOUT {
        db.pragma_update(None, "user_version", LAYOUT)?;
    }
    let epoch = {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        format!("{nanos:x}{:x}", std::process::id())
    };
    db.execute("INSERT OR IGNORE INTO clock (id, epoch, seq) VALUES (0, ?1, 0)", [epoch])?;
    Ok(db)
}

/// The read statistics of a read-only home: the file's counts if it has one, else none. No read
/// is counted there (`Buckets::record_reads`).
pub fn open_read_only(path: &Path) -> Result<Connection, BucketError> {
    if path.exists() {
        return Ok(ipfs_kit_blockstore::open_sqlite_read_only(path)?);
    }
    let db = Connection::open_in_memory()?;
    db.execute_batch(SCHEMA)?;
    db.execute("INSERT INTO clock (id, epoch, seq) VALUES (0, 'none', 0)", [])?;
    Ok(db)
}

/// One counted read, as carried over from an older catalog layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub bucket: String,
    pub path: String,
    pub added_at: String,
    pub count: i64,
    pub last_read: String,
}

/// Counts one read of each of `paths` (path, `added_at` of the entry read), in one short
/// transaction.
pub(crate) fn record(db: &mut Connection, bucket: &str, paths: &[(&str, &str)], now: &str) -> Result<(), BucketError> {
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let seq = tick(&tx)?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO reads (bucket, path, added_at, count, last_read, seq) VALUES (?1, ?2, ?3, 1, ?4, ?5) \
             ON CONFLICT (bucket, path) DO UPDATE SET \
             count = CASE WHEN reads.added_at = excluded.added_at THEN reads.count + 1 ELSE 1 END, \
             added_at = excluded.added_at, last_read = excluded.last_read, seq = excluded.seq",
        )?;
        for (path, added_at) in paths {
            upsert.execute(params![bucket, path, added_at, now, seq])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Writes counts carried over from an older catalog, replacing any row of the same file, so
/// a migration that is interrupted and run again gives the same result.
pub(crate) fn import(db: &mut Connection, rows: &[Counted]) -> Result<(), BucketError> {
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let seq = tick(&tx)?;
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO reads (bucket, path, added_at, count, last_read, seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in rows {
            put.execute(params![r.bucket, r.path, r.added_at, r.count, r.last_read, seq])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Advances the clock inside a write transaction and returns the new value.
fn tick(tx: &Connection) -> Result<i64, BucketError> {
    Ok(tx.query_row("UPDATE clock SET seq = seq + 1 WHERE id = 0 RETURNING seq", [], |r| r.get(0))?)
}

/// Fills in `access_count` and `last_accessed` of `rows` (in path order) from the counts that
/// still apply to them.
pub(crate) fn apply(db: &Connection, bucket: &str, rows: &mut [EntryRow]) -> Result<(), BucketError> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else { return Ok(()) };
    let mut stmt = db.prepare_cached(
        "SELECT path, added_at, count, last_read FROM reads WHERE bucket = ?1 AND path >= ?2 AND path <= ?3",
    )?;
    let mut counts: HashMap<String, (String, i64, String)> = HashMap::new();
    for row in stmt.query_map(params![bucket, first.path, last.path], |r| {
        Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
    })? {
        let (path, value) = row?;
        counts.insert(path, value);
    }
    if counts.is_empty() {
        return Ok(());
    }
    for row in rows {
        if let Some((_, count, last_read)) = counts.get(&row.path).filter(|c| c.0 == row.added_at) {
            row.access_count = *count;
            row.last_accessed = Some(last_read.clone());
        }
    }
    Ok(())
}

/// What an index written now records (`mark`), and which files of the bucket were read after
/// the mark an index on disk records. `paths` is `None` when that mark is not one of this
/// file's clock (an index written before reads were counted here, or with another
/// `access.sqlite`): then any row may differ.
pub(crate) struct ReadsSince {
    pub mark: String,
    pub paths: Option<Vec<String>>,
}

/// See `ReadsSince`. The caller holds a read transaction on `db` for as long as it uses the
/// answer together with counts (`apply`), so that the mark and the counts agree.
pub(crate) fn since(db: &Connection, bucket: &str, on_disk: Option<&str>) -> Result<ReadsSince, BucketError> {
    let (epoch, now): (String, i64) =
        db.query_row("SELECT epoch, seq FROM clock WHERE id = 0", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let paths_after = |seq: i64| -> Result<Vec<String>, BucketError> {
        let mut stmt = db.prepare_cached("SELECT path FROM reads WHERE bucket = ?1 AND seq > ?2")?;
        Ok(stmt.query_map(params![bucket, seq], |r| r.get(0))?.collect::<Result<_, _>>()?)
    };
    let paths = match on_disk {
        // It shows no counts: every count is news to it.
        Some(NO_READS) => Some(paths_after(i64::MIN)?),
        Some(mark) => match mark.split_once(':') {
            Some((e, seq)) if e == epoch => seq.parse().ok().map(paths_after).transpose()?,
            _ => None,
        },
        None => None,
    };
    let counted: bool =
        db.query_row("SELECT EXISTS (SELECT 1 FROM reads WHERE bucket = ?1)", [bucket], |r| r.get(0))?;
    let mark = if counted { format!("{epoch}:{now}") } else { NO_READS.to_owned() };
    Ok(ReadsSince { mark, paths })
}

/// Forgets the counts of `path` and everything below it ("" for the whole bucket).
pub(crate) fn forget(db: &Connection, bucket: &str, path: &str) -> Result<(), BucketError> {
    if path.is_empty() {
        db.execute("DELETE FROM reads WHERE bucket = ?1", [bucket])?;
    } else {
        db.execute(
            "DELETE FROM reads WHERE bucket = ?1 AND (path = ?2 OR (path > ?3 AND path < ?4))",
            params![bucket, path, format!("{path}/"), format!("{path}/\u{10ffff}")],
        )?;
    }
    Ok(())
}

/// Moves the counts of `from` and everything below it to `to`, as `bucket mv` moves the
/// entries (which keep their `added_at`). Returns how many rows moved.
pub(crate) fn move_subtree(db: &mut Connection, bucket: &str, from: &str, to: &str) -> Result<usize, BucketError> {
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (lo, hi) = (format!("{from}/"), format!("{from}/\u{10ffff}"));
    let moved: Vec<Counted> = {
        let mut stmt = tx.prepare(
            "SELECT path, added_at, count, last_read FROM reads \
             WHERE bucket = ?1 AND (path = ?2 OR (path > ?3 AND path < ?4))",
        )?;
        stmt.query_map(params![bucket, from, lo, hi], |r| {
            let path: String = r.get(0)?;
            Ok(Counted {
                bucket: bucket.to_owned(),
                path: format!("{to}{}", &path[from.len()..]),
                added_at: r.get(1)?,
                count: r.get(2)?,
                last_read: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?
    };
    if moved.is_empty() {
        return Ok(0);
    }
    forget(&tx, bucket, from)?;
    let seq = tick(&tx)?;
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO reads (bucket, path, added_at, count, last_read, seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in &moved {
            put.execute(params![r.bucket, r.path, r.added_at, r.count, r.last_read, seq])?;
        }
    }
    tx.commit()?;
    Ok(moved.len())
}

impl Buckets {
    /// Counts a read of each of `entries` (files just streamed to a reader). No lock is taken
    /// and nothing but `access.sqlite` is written.
    pub(crate) fn record_reads(&mut self, bucket: &str, entries: &[&EntryRow]) -> Result<(), BucketError> {
        // A read-only home cannot count reads; the read itself must still work.
        if entries.is_empty() || self.read_only {
            return Ok(());
        }
        let paths: Vec<(&str, &str)> = entries.iter().map(|e| (e.path.as_str(), e.added_at.as_str())).collect();
        record(&mut self.access, bucket, &paths, &now_rfc3339())
    }
}
