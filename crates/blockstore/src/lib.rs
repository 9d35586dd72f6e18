//! An embedded block store for ipfs-kit: deduplicating, crash-safe, no daemon.
//!
//! Blocks live in append-only pack files under `<dir>/packs/`, located through a SQLite index
//! (`<dir>/blocks.sqlite`). The store implements UnixFS's `BlockSink` (through `PackWriter`) and
//! `BlockSource`, so the importer and reader work on it unchanged. `lock` is the writer lock
//! that serialises commits to a home.

mod copy;
pub mod error;
pub mod gc;
pub mod gc_lock;
pub mod health;
pub mod lock;
mod pack_out;
pub mod read_only;
pub mod read_txn;
pub mod store;
pub mod time;

pub use error::StoreError;
pub use gc::{BlockFault, SweepReport};
pub use gc_lock::{BlockPin, CollectLock};
pub use health::PackFault;
pub use lock::{LockHolder, LockState, WriterLock};
pub use read_only::{open_sqlite_read_only, writable};
pub use read_txn::ReadTransaction;
pub use store::{BlockStore, CommitStats, PackWriter, open_sqlite, sync_dir};
