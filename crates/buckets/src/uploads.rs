//! Multipart uploads in progress (S3's CreateMultipartUpload … CompleteMultipartUpload): each
//! part is imported as its own file DAG as it arrives, and its root is recorded here, in the
//! catalog, beside the upload. `gc` keeps every recorded part alive (`gc_roots`), so an upload
//! may span any time; an aborted upload drops its rows and leaves its blocks to `gc`.
//!
//! Write order of a part: blocks committed (under the block pin), then its row, then the pin
//! is released. Completing writes the object's entry and deletes the upload in one catalog
//! transaction (`ObjectWrite::completes`), so a crash leaves either the upload (Complete can
//! be retried) or the object.

use cid::Cid;
use ipfs_kit_unixfs::Node;
use rusqlite::{Connection, OptionalExtension, params};

use crate::buckets::Buckets;
use crate::catalog;
use crate::error::BucketError;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    meta TEXT,
    initiated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS upload_parts (
    id TEXT NOT NULL,
    number INTEGER NOT NULL,
    cid BLOB NOT NULL,
    size INTEGER NOT NULL,
    tsize INTEGER NOT NULL,
    md5 BLOB NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (id, number)
) WITHOUT ROWID;
";

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub bucket: String,
    /// The S3 key the object will have.
    pub key: String,
    /// The metadata given at creation, as the S3 layer encodes it.
    pub meta: Option<String>,
    /// RFC 3339.
    pub initiated: String,
}

/// One received part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub number: u32,
    /// The part's bytes as a file DAG.
    pub node: Node,
    pub md5: [u8; 16],
    /// RFC 3339, when it was received.
    pub at: String,
}

fn upload_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Upload> {
    Ok(Upload { id: r.get(0)?, bucket: r.get(1)?, key: r.get(2)?, meta: r.get(3)?, initiated: r.get(4)? })
}

impl Buckets {
    /// Records a new upload of `key` into bucket `bucket` (which must exist).
    pub fn create_upload(&mut self, upload: &Upload) -> Result<(), BucketError> {
        if self.read_only {
            return Err(BucketError::ReadOnlyHome(self.home.root().to_owned()));
        }
        catalog::require_bucket(&self.db, &upload.bucket)?;
        self.db.execute(
            "INSERT INTO uploads (id, bucket, key, meta, initiated) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![upload.id, upload.bucket, upload.key, upload.meta, upload.initiated],
        )?;
        Ok(())
    }

    pub fn upload(&self, id: &str) -> Result<Option<Upload>, BucketError> {
        Ok(self
            .db
            .query_row("SELECT id, bucket, key, meta, initiated FROM uploads WHERE id = ?1", [id], upload_from)
            .optional()?)
    }

    /// Uploads of a bucket whose key starts with `prefix`, by key then initiation.
    pub fn uploads(&self, bucket: &str, prefix: &str) -> Result<Vec<Upload>, BucketError> {
        let mut stmt = self.db.prepare(
            "SELECT id, bucket, key, meta, initiated FROM uploads WHERE bucket = ?1 AND key >= ?2 AND key < ?3 \
             ORDER BY key, initiated, id",
        )?;
        let upper = format!("{prefix}\u{10ffff}");
        let rows = stmt.query_map(params![bucket, prefix, upper], upload_from)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Records a part whose blocks are committed (call it while holding their pin). A part sent
    /// again replaces the earlier one, as in S3. Fails with `NoSuchUpload` if the upload was
    /// completed or aborted meanwhile.
    pub fn put_part(&mut self, id: &str, part: &Part) -> Result<(), BucketError> {
        let tx = self.db.transaction()?;
        let exists: bool = tx.query_row("SELECT count(*) > 0 FROM uploads WHERE id = ?1", [id], |r| r.get(0))?;
        if !exists {
            return Err(BucketError::NoSuchUpload(id.to_owned()));
        }
        tx.execute(
            "INSERT OR REPLACE INTO upload_parts (id, number, cid, size, tsize, md5, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                part.number,
                part.node.cid.to_bytes(),
                part.node.filesize,
                part.node.tsize,
                part.md5.to_vec(),
                part.at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The parts received so far, by number.
    pub fn parts(&self, id: &str) -> Result<Vec<Part>, BucketError> {
        let mut stmt = self
            .db
            .prepare("SELECT number, cid, size, tsize, md5, at FROM upload_parts WHERE id = ?1 ORDER BY number")?;
        let rows = stmt
            .query_map([id], |r| {
                let cid: Vec<u8> = r.get(1)?;
                let md5: Vec<u8> = r.get(4)?;
                Ok((r.get::<_, u32>(0)?, cid, r.get::<_, u64>(2)?, r.get::<_, u64>(3)?, md5, r.get::<_, String>(5)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(number, cid, filesize, tsize, md5, at)| {
                let cid = Cid::try_from(cid).map_err(|e| BucketError::Corrupt(format!("upload part CID: {e}")))?;
                let md5 = md5.try_into().map_err(|_| BucketError::Corrupt("upload part MD5".into()))?;
                Ok(Part { number, node: Node { cid, filesize, tsize }, md5, at })
            })
            .collect()
    }

    /// Forgets an upload and its parts (their blocks stay until `gc`). False if there was none.
    pub fn abort_upload(&mut self, id: &str) -> Result<bool, BucketError> {
        let tx = self.db.transaction()?;
        tx.execute("DELETE FROM upload_parts WHERE id = ?1", [id])?;
        let n = tx.execute("DELETE FROM uploads WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(n > 0)
    }
}

/// Uploads begun longer ago than this are dropped by `gc` (and by `serve --s3` when it starts),
/// as S3's usual lifecycle rule for incomplete uploads does, so the parts of an abandoned upload
/// do not stay `gc` roots forever.
pub const UPLOAD_LIFETIME: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

impl Buckets {
    /// Drops every upload begun more than `UPLOAD_LIFETIME` ago; how many there were.
    pub fn expire_uploads(&mut self) -> Result<usize, BucketError> {
        if self.read_only {
            return Ok(0);
        }
        expire(&self.db)
    }
}

pub(crate) fn expire(db: &Connection) -> Result<usize, BucketError> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let cutoff = crate::time::rfc3339(now.saturating_sub(UPLOAD_LIFETIME.as_secs()) as i64, 0);
    db.execute("DELETE FROM upload_parts WHERE id IN (SELECT id FROM uploads WHERE initiated < ?1)", [&cutoff])?;
    Ok(db.execute("DELETE FROM uploads WHERE initiated < ?1", [&cutoff])?)
}

/// Drops an upload inside the transaction that writes its object.
pub(crate) fn finish(db: &Connection, id: &str) -> Result<(), BucketError> {
    db.execute("DELETE FROM upload_parts WHERE id = ?1", [id])?;
    db.execute("DELETE FROM uploads WHERE id = ?1", [id])?;
    Ok(())
}

/// Every recorded part's root, for `gc`.
pub(crate) fn part_roots(db: &Connection) -> Result<Vec<Cid>, BucketError> {
    let mut stmt = db.prepare("SELECT cid FROM upload_parts")?;
    let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|c| Cid::try_from(c).map_err(|e| BucketError::Corrupt(format!("upload part CID: {e}"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Home;

    fn upload(id: &str, initiated: String) -> Upload {
        Upload { id: id.into(), bucket: "b".into(), key: "k".into(), meta: None, initiated }
    }

    #[test]
    fn uploads_keep_their_parts_until_completed_aborted_or_expired() {
        let dir = tempfile::tempdir().unwrap();
        let mut home = Buckets::open(Home::new(dir.path())).unwrap();
        home.create("b", "unixfs-v1-2025").unwrap();
        let old = crate::time::rfc3339(1_000_000_000, 0);
        home.create_upload(&upload("old", old)).unwrap();
        home.create_upload(&upload("new", crate::time::now_rfc3339())).unwrap();
        let node = Node { cid: home.info("b").unwrap().row.root, filesize: 0, tsize: 4 };
        let part = Part { number: 1, node, md5: [7; 16], at: crate::time::now_rfc3339() };
        for id in ["old", "new"] {
            home.put_part(id, &part).unwrap();
        }
        assert_eq!(part_roots(&home.db).unwrap().len(), 2);
        assert_eq!(home.parts("new").unwrap(), vec![part.clone()]);
        assert_eq!(home.expire_uploads().unwrap(), 1);
        assert!(home.upload("old").unwrap().is_none());
        assert!(matches!(home.put_part("old", &part), Err(BucketError::NoSuchUpload(_))));
        assert_eq!(part_roots(&home.db).unwrap().len(), 1);
        assert!(home.abort_upload("new").unwrap());
        assert!(!home.abort_upload("new").unwrap());
        assert!(part_roots(&home.db).unwrap().is_empty());
    }
}
