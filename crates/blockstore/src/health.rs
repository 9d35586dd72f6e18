//! Packs that the index names but the disk no longer holds whole.
//!
//! A pack can be deleted or truncated behind the store's back (a bad restore from backup, a
//! full disk, a careless `rm`). Its index rows then point at bytes that are gone. Three things
//! must not trust such rows: `check` (it compares every pack the index names with the disk),
//! the writer (it must not dedupe a new block against a row it cannot read, or re-adding the
//! file stores nothing), and `check --repair` (it drops exactly the rows past a pack's end).
//!
//! A pack's recorded `size` is its length when sealed; a file shorter than that has lost its
//! tail, and a row is unreadable when `offset + len` passes the file's real length.

use std::collections::HashMap;

use rusqlite::params;

use crate::error::StoreError;
use crate::store::BlockStore;

/// A pack the index names that is missing or shorter than recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFault {
    pub pack: String,
    /// Bytes on disk (`None`: the file is missing).
    pub on_disk: Option<u64>,
    /// Its length when it was sealed.
    pub recorded: u64,
    /// Index rows whose bytes are gone, and their total length.
    pub lost_blocks: u64,
    pub lost_bytes: u64,
}

impl PackFault {
    pub fn describe(&self) -> String {
        let state = match self.on_disk {
            None => "is missing".to_owned(),
            Some(len) => format!("is {len} bytes, {} when it was written", self.recorded),
        };
        format!("pack {} {state}: {} indexed blocks ({} bytes) are lost", self.pack, self.lost_blocks, self.lost_bytes)
    }
}

impl BlockStore {
    /// Usable length of every pack that is missing (0) or short, by pack id. Computed once per
    /// open store: packs only shrink behind our back, never while we run.
    pub(crate) fn damaged_packs(&self) -> Result<&HashMap<i64, u64>, StoreError> {
        if let Some(map) = self.damaged.get() {
            return Ok(map);
        }
        let packs: Vec<(i64, String, u64)> = {
            let db = self.db.lock().expect("index lock");
            let mut stmt = db.prepare("SELECT id, name, size FROM packs")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?
        };
        let mut map = HashMap::new();
        for (id, name, size) in packs {
            let path = self.pack_path(&name);
            match std::fs::metadata(&path) {
                Ok(meta) if meta.len() >= size => {}
                Ok(meta) => {
                    map.insert(id, meta.len());
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    map.insert(id, 0);
                }
                Err(source) => return Err(StoreError::Io { path, source }),
            }
        }
        Ok(self.damaged.get_or_init(|| map))
    }

    /// Whether a row at (`pack`, `end` = offset + len) can be read.
    pub(crate) fn readable(&self, pack: i64, end: u64) -> Result<bool, StoreError> {
        Ok(self.damaged_packs()?.get(&pack).is_none_or(|&usable| end <= usable))
    }

    /// Every pack the index names that the disk does not hold whole, with what is lost.
    pub fn pack_faults(&self) -> Result<Vec<PackFault>, StoreError> {
        let damaged: Vec<(i64, u64)> = self.damaged_packs()?.iter().map(|(&id, &len)| (id, len)).collect();
        let db = self.db.lock().expect("index lock");
        let mut faults = Vec::new();
        for (id, usable) in damaged {
            let (pack, recorded): (String, u64) =
                db.query_row("SELECT name, size FROM packs WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let (lost_blocks, lost_bytes): (u64, u64) = db.query_row(
                "SELECT count(*), coalesce(sum(len), 0) FROM blocks WHERE pack = ?1 AND offset + len > ?2",
                params![id, usable],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let on_disk = self.pack_path(&pack).exists().then_some(usable);
            faults.push(PackFault { pack, on_disk, recorded, lost_blocks, lost_bytes });
        }
        faults.sort_by(|a, b| a.pack.cmp(&b.pack));
        Ok(faults)
    }

    /// Drops every index row whose bytes are gone (and the record of a pack that is missing),
    /// so the next `bucket add` or `car import` of those blocks stores them again. Returns the
    /// rows dropped.
    pub fn drop_lost_blocks(&self) -> Result<u64, StoreError> {
        let damaged: Vec<(i64, u64)> = self.damaged_packs()?.iter().map(|(&id, &len)| (id, len)).collect();
        let mut db = self.db.lock().expect("index lock");
        let tx = db.transaction()?;
        let mut dropped = 0;
        for (id, usable) in damaged {
            dropped += tx.execute("DELETE FROM blocks WHERE pack = ?1 AND offset + len > ?2", params![id, usable])?;
            if usable == 0 {
                tx.execute("DELETE FROM packs WHERE id = ?1", [id])?;
            } else {
                tx.execute("UPDATE packs SET size = ?2 WHERE id = ?1", params![id, usable])?;
            }
        }
        tx.commit()?;
        Ok(dropped as u64)
    }
}
