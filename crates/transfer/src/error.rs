//! The transfer layer's error type.

use ipfs_kit_buckets::BucketError;
use ipfs_kit_remotes::RemoteError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    #[error(transparent)]
    Bucket(#[from] BucketError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The request cannot be carried out as asked (a gateway as a push target, a read-only
    /// home, a pinning remote with no node to hold the blocks); the text says what to do.
    #[error("{0}")]
    Refused(String),
    /// A pinning service answered, but not with "pinned" (failed, or still queued at the
    /// timeout; the state it gave is recorded).
    #[error("{0}")]
    NotPinned(String),
    /// Storacha: the credentials do not allow the push, or a shard read back differently.
    #[error("{0}")]
    Storacha(String),
    /// The push-state log could not be written: the remote has the DAG, but this home does not
    /// say so yet (pushing again records it).
    #[error("recording the push in the push-state log")]
    Record(#[source] RemoteError),
    #[error("reading a CAR shard from the block store")]
    Read(#[source] std::io::Error),
}
