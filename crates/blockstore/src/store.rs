//! The block store: block bytes in append-only pack files, their locations in a SQLite index.
//!
//! Why this shape: one file per block makes a bucket of small files crawl and wastes inodes,
//! while a pack per writer session keeps writes sequential and needs no coordination between
//! writers. SQLite (WAL, `synchronous=FULL`) gives the index atomic, durable commits and lets
//! readers in other processes run while a writer commits. Blocks are keyed by multihash, as in
//! Kubo, so the same bytes under CIDv0 and CIDv1 are stored once.
//!
//! Write order of a commit (see docs/design.md):
//! 1. records are appended to `packs/<name>.pack.tmp` while importing;
//! 2. the pack is fsynced, renamed to `packs/<name>.pack`, and `packs/` is fsynced;
//! 3. one SQLite transaction records the pack and every new block's location.
//!
//! A crash before 3 leaves an unindexed pack: its blocks were never visible, and `gc` removes it.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cid::Cid;
use ipfs_kit_unixfs::{BlockSink, BlockSource, Meter};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::gc_lock::{BlockPin, CollectLock};
use crate::pack_out::PackOut;

/// The first bytes of every pack file.
pub const PACK_MAGIC: &[u8; 8] = b"IKPACK01";

/// A pack grows to about this size before the writer starts another.
const PACK_TARGET: u64 = 4 << 30;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS packs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
    mh BLOB PRIMARY KEY,
    pack INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    len INTEGER NOT NULL
) WITHOUT ROWID;
";

/// An open block store under one directory.
pub struct BlockStore {
    dir: PathBuf,
    pub(crate) db: Mutex<Connection>,
    pub(crate) open_packs: Mutex<HashMap<i64, Arc<File>>>,
    /// Packs missing or short on disk, by id, with their usable length (`health`).
    pub(crate) damaged: OnceLock<HashMap<i64, u64>>,
    /// Opened on read-only media (`open_read_only`): nothing may be written, and no `gc` can
    /// run, so pins are not needed.
    read_only: bool,
    /// Every block read and every block put, for progress displays (`meter`).
    pub(crate) meter: Arc<Meter>,
}

/// What the index says of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowState {
    Absent,
    Readable,
    /// Indexed in a pack that is missing or too short: as good as absent, but the row must be
    /// replaced, not ignored, when the block is stored again.
    Lost,
}

/// Counts from a commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub new_blocks: u64,
    pub new_bytes: u64,
}

impl BlockStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let packs = dir.join("packs");
        std::fs::create_dir_all(&packs).map_err(|source| StoreError::Io { path: packs.clone(), source })?;
        let db = open_index(&dir.join("blocks.sqlite"))?;
        Ok(BlockStore {
            dir: dir.to_owned(),
            db: Mutex::new(db),
            open_packs: Mutex::new(HashMap::new()),
            damaged: OnceLock::new(),
            read_only: false,
            meter: Arc::default(),
        })
    }

    /// Opens an existing store without creating or changing any file (see `read_only`).
    /// Writers it hands out refuse to store anything.
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        let db = crate::read_only::open_sqlite_read_only(&dir.join("blocks.sqlite"))?;
        Ok(BlockStore {
            dir: dir.to_owned(),
            db: Mutex::new(db),
            open_packs: Mutex::new(HashMap::new()),
            damaged: OnceLock::new(),
            read_only: true,
            meter: Arc::default(),
        })
    }

    /// Counts every block read (`get_block`) and put (through a writer), for a progress display.
    pub fn meter(&self) -> Arc<Meter> {
        self.meter.clone()
    }

    /// Whether this store was opened with `open_read_only`.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the block is stored and its pack still holds its bytes.
    pub fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        Ok(self.row_state(&cid.hash().to_bytes())? == RowState::Readable)
    }

    /// Whether the index has a row for `mh`, and whether its pack still holds the bytes.
    pub(crate) fn row_state(&self, mh: &[u8]) -> Result<RowState, StoreError> {
        let row: Option<(i64, u64)> = {
            let db = self.db.lock().expect("index lock");
            let mut stmt = db.prepare_cached("SELECT pack, offset + len FROM blocks WHERE mh = ?1")?;
            stmt.query_row([mh], |r| Ok((r.get(0)?, r.get(1)?))).optional()?
        };
        Ok(match row {
            None => RowState::Absent,
            Some((pack, end)) if self.readable(pack, end)? => RowState::Readable,
            Some(_) => RowState::Lost,
        })
    }

    /// The block's length, without reading it (`None` when it is absent or its pack lost it).
    pub fn block_len(&self, cid: &Cid) -> Result<Option<u64>, StoreError> {
        let row: Option<(i64, u64, u64)> = {
            let db = self.db.lock().expect("index lock");
            let mut stmt = db.prepare_cached("SELECT pack, offset, len FROM blocks WHERE mh = ?1")?;
            stmt.query_row([cid.hash().to_bytes()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?
        };
        match row {
            Some((pack, offset, len)) if self.readable(pack, offset + len)? => Ok(Some(len)),
            _ => Ok(None),
        }
    }

    /// The block's bytes, unverified (readers check them against the CID).
    pub fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        let block = self.read_block_once(cid)?;
        if let Some(bytes) = &block {
            self.meter.block(bytes.len() as u64);
        }
        Ok(block)
    }

    fn read_block_once(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        match self.read_block(cid) {
            // `gc` may have moved the block to a new pack and removed the old one between our
            // lookup and our read; the index then already points at the new pack.
            Err(StoreError::MissingPack { .. }) => {
                self.open_packs.lock().expect("pack cache lock").clear();
                self.read_block(cid)
            }
            other => other,
        }
    }

    fn read_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(at) = self.locate(cid)? else {
            return Ok(None);
        };
        let mut buf = vec![0u8; at.len as usize];
        at.file.read_exact_at(&mut buf, at.offset).map_err(|source| StoreError::Io { path: at.path, source })?;
        Ok(Some(buf))
    }

    /// Where the block's bytes are: its pack, open, and their place in it (`None` when the
    /// block is absent or its pack lost it). The open pack stays readable even if `gc` removes
    /// its file meanwhile, since packs are never rewritten in place.
    pub(crate) fn locate(&self, cid: &Cid) -> Result<Option<BlockAt>, StoreError> {
        let location = {
            let db = self.db.lock().expect("index lock");
            let mut stmt = db.prepare_cached(
                "SELECT b.pack, p.name, b.offset, b.len FROM blocks b JOIN packs p ON p.id = b.pack WHERE b.mh = ?1",
            )?;
            stmt.query_row([cid.hash().to_bytes()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, u64>(2)?, r.get::<_, u64>(3)?))
            })
            .optional()?
        };
        let Some((pack, name, offset, len)) = location else {
            return Ok(None);
        };
        if !self.readable(pack, offset + len)? {
            // Its pack was missing or short when this store opened: the bytes are gone.
            return Ok(None);
        }
        let file = self.pack_file(pack, &name, cid)?;
        Ok(Some(BlockAt { file, path: self.pack_path(&name), offset, len }))
    }

    /// Pins new blocks against `gc` until the returned guard drops (see `gc_lock`).
    pub fn pin(&self, wait: Duration, on_wait: &mut dyn FnMut()) -> Result<BlockPin, StoreError> {
        if self.read_only {
            return Ok(BlockPin::unneeded());
        }
        BlockPin::acquire(&self.dir.join("gc.lock"), wait, on_wait)
    }

    /// Waits until no writer has unreferenced blocks in flight, and keeps new ones out.
    pub fn collect_lock(&self, wait: Duration, on_wait: &mut dyn FnMut()) -> Result<CollectLock, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly { path: self.dir.clone() });
        }
        CollectLock::acquire(&self.dir.join("gc.lock"), wait, on_wait)
    }

    fn pack_file(&self, id: i64, name: &str, cid: &Cid) -> Result<Arc<File>, StoreError> {
        let mut open = self.open_packs.lock().expect("pack cache lock");
        if let Some(file) = open.get(&id) {
            return Ok(file.clone());
        }
        let path = self.pack_path(name);
        let file = match File::open(&path) {
            Ok(f) => Arc::new(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::MissingPack { cid: *cid, pack: name.to_owned() });
            }
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        if open.len() > 256 {
            open.clear();
        }
        open.insert(id, file.clone());
        Ok(file)
    }

    pub(crate) fn pack_path(&self, name: &str) -> PathBuf {
        self.dir.join("packs").join(format!("{name}.pack"))
    }

    /// Starts a writer that appends new blocks to a pack of its own.
    pub fn writer(&self) -> PackWriter<'_> {
        PackWriter {
            store: self,
            current: None,
            sealed: Vec::new(),
            seen: HashSet::new(),
            replacing: HashSet::new(),
            stats: CommitStats::default(),
        }
    }

    /// Number of blocks and their total bytes.
    pub fn totals(&self) -> Result<(u64, u64), StoreError> {
        let db = self.db.lock().expect("index lock");
        Ok(db.query_row("SELECT count(*), coalesce(sum(len), 0) FROM blocks", [], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }
}

impl BlockSource for BlockStore {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.get_block(cid)?)
    }

    fn block_len(&self, cid: &Cid) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(BlockStore::block_len(self, cid)?)
    }
}

fn open_index(path: &Path) -> Result<Connection, StoreError> {
    Ok(open_sqlite(path, SCHEMA)?)
}

/// Opens a SQLite database the way every ipfs-kit database is kept: WAL, so readers in other
/// processes never block on a writer; `synchronous=FULL`, so a commit survives power loss; a
/// long busy timeout, so concurrent writers queue instead of failing. `schema` is applied.
pub fn open_sqlite(path: &Path, schema: &str) -> rusqlite::Result<Connection> {
    let db = Connection::open(path)?;
    db.busy_timeout(std::time::Duration::from_secs(60))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.execute_batch(schema)?;
    Ok(db)
}

/// A stored block's bytes: `len` bytes at `offset` of an open pack file.
pub(crate) struct BlockAt {
    pub file: Arc<File>,
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// A pack being written.
struct OpenPack {
    name: String,
    tmp_path: PathBuf,
    /// `None` once the pack is full and its writer finished (see `PackWriter::append`).
    out: Option<PackOut>,
    /// The file, once `out` finished; fsynced when the writer commits.
    written: Option<File>,
    size: u64,
    /// (multihash, data offset, data length) of each record.
    records: Vec<(Vec<u8>, u64, u64)>,
}

impl OpenPack {
    /// Waits until every appended byte is in the file (not yet fsynced): `written` is set.
    fn finish_writing(&mut self) -> Result<(), StoreError> {
        if let Some(out) = self.out.take() {
            let file = out.finish().map_err(|source| StoreError::Io { path: self.tmp_path.clone(), source })?;
            self.written = Some(file);
        }
        Ok(())
    }
}

/// Appends blocks the store does not have yet; nothing is visible until `commit`.
pub struct PackWriter<'s> {
    store: &'s BlockStore,
    current: Option<OpenPack>,
    sealed: Vec<OpenPack>,
    seen: HashSet<Vec<u8>>,
    /// Blocks stored again over rows whose pack lost them.
    replacing: HashSet<Vec<u8>>,
    stats: CommitStats,
}

impl PackWriter<'_> {
    fn start_pack(&self) -> Result<OpenPack, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name = format!("{nanos:x}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        if self.store.read_only {
            return Err(StoreError::ReadOnly { path: self.store.dir.clone() });
        }
        let tmp_path = self.store.dir.join("packs").join(format!("{name}.pack.tmp"));
        let io = |source| StoreError::Io { path: tmp_path.clone(), source };
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp_path).map_err(io)?;
        let mut out = PackOut::new(file, true);
        out.write_all(PACK_MAGIC).map_err(io)?;
        Ok(OpenPack {
            name,
            tmp_path,
            out: Some(out),
            written: None,
            size: PACK_MAGIC.len() as u64,
            records: Vec::new(),
        })
    }

    fn append(&mut self, mh: Vec<u8>, cid: &Cid, bytes: &[u8]) -> Result<(), StoreError> {
        if self.current.as_ref().is_some_and(|p| p.size >= PACK_TARGET) {
            // A full pack's writing thread and buffers are let go now, not at the commit.
            let mut full = self.current.take().expect("checked above");
            full.finish_writing()?;
            self.sealed.push(full);
        }
        if self.current.is_none() {
            self.current = Some(self.start_pack()?);
        }
        let pack = self.current.as_mut().expect("pack just opened");
        let cid_bytes = cid.to_bytes();
        let body_len = 1 + cid_bytes.len() + bytes.len();
        let body_len = u32::try_from(body_len).expect("blocks are far below 4 GiB");
        let io = |source| StoreError::Io { path: pack.tmp_path.clone(), source };
        let out = pack.out.as_mut().expect("the current pack is being written");
        out.write_all(&body_len.to_le_bytes()).map_err(io)?;
        out.write_all(&[cid_bytes.len() as u8]).map_err(io)?;
        out.write_all(&cid_bytes).map_err(io)?;
        out.write_all(bytes).map_err(io)?;
        let data_offset = pack.size + 4 + 1 + cid_bytes.len() as u64;
        pack.records.push((mh, data_offset, bytes.len() as u64));
        pack.size = data_offset + bytes.len() as u64;
        self.stats.new_blocks += 1;
        self.stats.new_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Makes every appended block durable and visible, in the order in the module comment.
    pub fn commit(mut self) -> Result<CommitStats, StoreError> {
        let finished = self.seal()?;
        if finished.is_empty() {
            return Ok(self.stats);
        }
        let mut db = self.store.db.lock().expect("index lock");
        let tx = db.transaction()?;
        for pack in &finished {
            let pack_id = pack.register(&tx)?;
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO blocks (mh, pack, offset, len) VALUES (?1, ?2, ?3, ?4)")?;
            let mut replace =
                tx.prepare_cached("INSERT OR REPLACE INTO blocks (mh, pack, offset, len) VALUES (?1, ?2, ?3, ?4)")?;
            for (mh, offset, len) in &pack.records {
                let stmt = if self.replacing.contains(mh) { &mut replace } else { &mut insert };
                stmt.execute(params![mh, pack_id, offset, len])?;
            }
        }
        tx.commit()?;
        Ok(self.stats)
    }

    /// Steps 1 and 2 of a commit: every pack is fsynced and renamed into place, and `packs/` is
    /// fsynced. The caller indexes the packs (step 3).
    pub(crate) fn seal(&mut self) -> Result<Vec<SealedPack>, StoreError> {
        self.sealed.extend(self.current.take());
        let packs_dir = self.store.dir.join("packs");
        let mut finished = Vec::new();
        for mut pack in self.sealed.drain(..) {
            pack.finish_writing()?;
            let io = |source| StoreError::Io { path: pack.tmp_path.clone(), source };
            pack.written.take().expect("finished writing").sync_all().map_err(io)?;
            let final_path = packs_dir.join(format!("{}.pack", pack.name));
            std::fs::rename(&pack.tmp_path, &final_path).map_err(io)?;
            finished.push(SealedPack { name: pack.name, size: pack.size, records: pack.records });
        }
        if !finished.is_empty() {
            sync_dir(&packs_dir)?;
        }
        Ok(finished)
    }

    /// Appends a block even though the store indexes it already: `gc` moving a live block.
    pub(crate) fn append_moved(&mut self, cid: &Cid, bytes: &[u8]) -> Result<(), StoreError> {
        self.append(cid.hash().to_bytes(), cid, bytes)
    }
}

/// A pack on disk under its final name, not yet in the index.
pub(crate) struct SealedPack {
    pub name: String,
    pub size: u64,
    /// (multihash, data offset, data length) of each record.
    pub records: Vec<(Vec<u8>, u64, u64)>,
}

impl SealedPack {
    /// Adds the pack to the `packs` table, returning its id.
    pub(crate) fn register(&self, tx: &rusqlite::Transaction<'_>) -> Result<i64, StoreError> {
        tx.execute("INSERT INTO packs (name, size) VALUES (?1, ?2)", params![self.name, self.size])?;
        Ok(tx.last_insert_rowid())
    }
}

impl Drop for PackWriter<'_> {
    /// An abandoned writer removes its temporary packs; a crashed one leaves them for `gc`.
    fn drop(&mut self) {
        for pack in self.sealed.iter().chain(self.current.iter()) {
            let _ = std::fs::remove_file(&pack.tmp_path);
        }
    }
}

impl BlockSink for PackWriter<'_> {
    fn put(&mut self, cid: &Cid, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.store.meter.block(bytes.len() as u64);
        let mh = cid.hash().to_bytes();
        if self.seen.contains(&mh) {
            return Ok(());
        }
        match self.store.row_state(&mh)? {
            RowState::Readable => {}
            RowState::Absent => self.append(mh.clone(), cid, bytes)?,
            RowState::Lost => {
                self.append(mh.clone(), cid, bytes)?;
                self.replacing.insert(mh.clone());
            }
        }
        self.seen.insert(mh);
        Ok(())
    }
}

/// fsyncs a directory, so a rename or a new file in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|source| StoreError::Io { path: dir.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipfs_kit_unixfs::block::{RAW, sha256_cid};

    #[test]
    fn blocks_are_visible_only_after_commit_and_stored_once() {
        let dir = tempfile_dir("commit");
        let store = BlockStore::open(&dir).unwrap();
        let cid = sha256_cid(1, RAW, b"hello");
        let mut writer = store.writer();
        writer.put(&cid, b"hello").unwrap();
        writer.put(&cid, b"hello").unwrap();
        assert!(!store.has(&cid).unwrap());
        assert_eq!(writer.commit().unwrap().new_blocks, 1);
        assert_eq!(store.get_block(&cid).unwrap().as_deref(), Some(&b"hello"[..]));
        // A second writer with a block the store already has adds nothing.
        let mut again = store.writer();
        again.put(&cid, b"hello").unwrap();
        assert_eq!(again.commit().unwrap().new_blocks, 0);
        assert_eq!(store.totals().unwrap(), (1, 5));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dropped_writer_leaves_nothing() {
        let dir = tempfile_dir("drop");
        let store = BlockStore::open(&dir).unwrap();
        let mut writer = store.writer();
        writer.put(&sha256_cid(1, RAW, b"x"), b"x").unwrap();
        drop(writer);
        assert_eq!(std::fs::read_dir(dir.join("packs")).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ipfs-kit-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
