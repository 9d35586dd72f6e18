//! Many lookups in the block index at once.
//!
//! A lookup outside a transaction is a transaction of its own: SQLite takes and drops its
//! shared lock (`fcntl` calls and a look at the WAL index) around each one. `check` over a home
//! of a million blocks looks up every one of them, and spent a quarter of its time there; inside
//! one read transaction it locks once and reads one consistent view of the index. `has_many`
//! also spares the per-lookup statement and lock; given multihashes in sorted order it reads
//! the index's pages in order.

use cid::Cid;

use crate::error::StoreError;
use crate::store::BlockStore;

/// Holds a read transaction on the block index until it drops. Nothing may be written
/// through the store meanwhile (a write would join this transaction).
pub struct ReadTransaction<'s> {
    store: &'s BlockStore,
    /// False when a transaction was already open: then this guard neither began nor ends one.
    began: bool,
}

impl BlockStore {
    /// Starts a read transaction that lasts as long as the returned guard.
    pub fn read_transaction(&self) -> Result<ReadTransaction<'_>, StoreError> {
        let db = self.db.lock().expect("index lock");
        let began = db.is_autocommit();
        if began {
            db.execute_batch("BEGIN")?;
        }
        Ok(ReadTransaction { store: self, began })
    }

    /// Whether each block is stored and its pack still holds its bytes (as `has` says).
    pub fn has_many<'c>(&self, cids: impl ExactSizeIterator<Item = &'c Cid>) -> Result<Vec<bool>, StoreError> {
        // Before the index lock: the first call reads the packs' sizes through it.
        self.damaged_packs()?;
        let db = self.db.lock().expect("index lock");
        let mut stmt = db.prepare_cached("SELECT pack, offset + len FROM blocks WHERE mh = ?1")?;
        let mut found = Vec::with_capacity(cids.len());
        for cid in cids {
            let mut rows = stmt.query([cid.hash().to_bytes()])?;
            let readable = match rows.next()? {
                None => false,
                Some(row) => {
                    let (pack, end): (i64, u64) = (row.get(0)?, row.get(1)?);
                    self.readable(pack, end)?
                }
            };
            found.push(readable);
        }
        Ok(found)
    }
}

impl Drop for ReadTransaction<'_> {
    fn drop(&mut self) {
        if self.began {
            // A read transaction has nothing to lose: if ending it fails, SQLite ends it when
            // the connection closes.
            let _ = self.store.db.lock().expect("index lock").execute_batch("COMMIT");
        }
    }
}
