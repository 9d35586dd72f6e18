//! The block store's error type.

use std::path::PathBuf;

use cid::Cid;

use crate::lock::LockHolder;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("block index")]
    Index(#[from] rusqlite::Error),
    #[error("locked by {holder}; wait for it to finish (or raise --lock-wait)")]
    Locked { holder: LockHolder },
    #[error("pack {pack} is damaged at byte {offset}: {reason}")]
    CorruptPack { pack: String, offset: u64, reason: &'static str },
    #[error("a gc is running; wait for it to finish (or raise --lock-wait)")]
    Collecting,
    #[error("other commands are still writing blocks; gc waits for them (raise --lock-wait to wait longer)")]
    WritersActive,
    /// The store is on read-only media (or in a folder this user may not write).
    #[error("{} is read-only; this command needs to write to the home", path.display())]
    ReadOnly { path: PathBuf },
    #[error("block {cid} is indexed in pack {pack}, which is missing")]
    MissingPack { cid: Cid, pack: String },
}
