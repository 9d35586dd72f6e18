//! The bucket layer's error type: every variant names what a user typed.

use ipfs_kit_blockstore::StoreError;
use ipfs_kit_unixfs::{ImportError, ReadError, TreeError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BucketError {
    #[error("invalid bucket name {name:?}: {reason}")]
    BadName { name: String, reason: &'static str },
    #[error("invalid path {path:?} in bucket: {reason}")]
    BadPath { path: String, reason: &'static str },
    #[error("bucket {0:?} does not exist (see `ipfs-kit bucket list`)")]
    NoSuchBucket(String),
    #[error("bucket {0:?} already exists")]
    BucketExists(String),
    #[error("bucket {name:?} differs from bucket {existing:?} only by case; their index files would collide")]
    CaseClash { name: String, existing: String },
    #[error(
        "block {cid} at byte {offset} of the response is not part of the DAG under {root}; refused, nothing from this response is stored"
    )]
    NotInDag { cid: cid::Cid, root: cid::Cid, offset: u64 },
    #[error("the response for {root} is not a good CAR: {error}; refused, nothing from it is stored")]
    BadResponse { root: cid::Cid, error: ipfs_kit_car::CarError },
    #[error("the response for {root} is a CAR of other roots ({}); refused", roots.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "))]
    WrongRoots { root: cid::Cid, roots: Vec<cid::Cid> },
    #[error("the DAG under {root} has more than {limit} blocks; refused")]
    TooManyBlocks { root: cid::Cid, limit: u64 },
    #[error("fetching {cid}: {error}")]
    Fetch { cid: cid::Cid, error: Box<dyn std::error::Error + Send + Sync> },
    #[error("the remote did not send {cid} (and {} more blocks of the DAG): it does not have them; what was verified is kept, so pulling again resumes", absent.saturating_sub(1))]
    NotFetched { cid: cid::Cid, absent: usize },
    #[error("block {cid} cannot be read for its links: {reason}")]
    BadBlock { cid: cid::Cid, reason: String },
    #[error("no {path:?} in bucket {bucket:?}")]
    NoSuchPath { bucket: String, path: String },
    #[error("{path:?} in bucket {bucket:?} is not a {expected}")]
    WrongKind { bucket: String, path: String, expected: &'static str },
    #[error("{path:?} already exists in bucket {bucket:?}")]
    PathExists { bucket: String, path: String },
    #[error("{path:?} already exists in bucket {bucket:?}; pass --replace to replace it")]
    PathExistsReplace { bucket: String, path: String },
    /// A DAG from elsewhere broke a limit or a structural rule; nothing was stored or mounted.
    #[error("{} (nothing was imported)", chain(.0))]
    Refused(TreeError),
    #[error("cannot restore {name:?} from {from}: {}", chain(error))]
    RefusedRestore { name: String, from: String, error: TreeError },
    #[error("profile {0:?} cannot be used for buckets (use unixfs-v1-2025 or unixfs-v0-2015)")]
    UnsupportedProfile(String),
    #[error("{path}: refusing to write outside the output folder: {reason}")]
    UnsafeOutput { path: String, reason: &'static str },
    #[error("{path}: {reason}")]
    BadExport { path: String, reason: &'static str },
    #[error("snapshot {id}: {reason}")]
    BadSnapshot { id: String, reason: &'static str },
    #[error("no multipart upload {0:?} (it was completed or aborted, or never existed)")]
    NoSuchUpload(String),
    #[error("the catalog holds a damaged record: {0}")]
    Corrupt(String),
    #[error("no snapshot {0:?} (see `ipfs-kit bucket snapshots`)")]
    NoSuchSnapshot(String),
    #[error("bucket {bucket:?} is not in snapshot {snapshot}")]
    NotInSnapshot { bucket: String, snapshot: String },
    /// A DAG lacks blocks (or a gc would be unsafe); the text says which and what to do.
    #[error("{0}")]
    Incomplete(String),
    #[error("{what} names {count} roots; {hint}")]
    NotOneRoot { what: String, count: usize, hint: &'static str },
    #[error("block {cid} is {actual} bytes but its link's Tsize says {planned}; the DAG's sizes are wrong")]
    WrongTsize { cid: cid::Cid, actual: u64, planned: u64 },
    #[error(
        "the root {root} is {codec}, not UnixFS: only a UnixFS file or directory can be mounted in a bucket \
         (import without --bucket to store the DAG; nothing was imported)"
    )]
    NotUnixfs { root: cid::Cid, codec: String },
    #[error("{0} is not a directory; only a directory can become a bucket")]
    NotADirectory(cid::Cid),
    #[error("--shard-size {limit} is too small: one block needs a {needed}-byte CAR")]
    ShardTooSmall { limit: u64, needed: u64 },
    #[error(transparent)]
    Car(#[from] ipfs_kit_car::CarError),
    /// A block's links could not be read (malformed DAG-CBOR, DAG-JSON or dag-pb, or over a
    /// decoding limit).
    #[error(transparent)]
    Links(#[from] ipfs_kit_ipld::LinksError),
    #[error("{}: {error}", path.display())]
    BadCar { path: std::path::PathBuf, error: ipfs_kit_car::CarError },
    #[error("storing a block")]
    Sink(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the Parquet index cannot be read back: {0}")]
    BadIndex(&'static str),
    #[error("{}", path.display())]
    Io { path: std::path::PathBuf, source: std::io::Error },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "{} has catalog layout {found}, this ipfs-kit reads layout {expected}; use a matching ipfs-kit or a new --home",
        path.display()
    )]
    CatalogVersion { path: std::path::PathBuf, found: i64, expected: i64 },
    #[error("bucket catalog")]
    Catalog(#[from] rusqlite::Error),
    /// A read found nothing to read: reads never create a home.
    #[error("no ipfs-kit home at {} (a write such as `ipfs-kit bucket create NAME` makes one; check --home and IPFS_KIT_HOME)", .0.display())]
    NoHome(std::path::PathBuf),
    #[error("no ipfs-kit home can be found: HOME is not set; pass --home or set IPFS_KIT_HOME")]
    HomeUnset,
    /// The home is on read-only media or in a folder this user may not write; reads still work.
    #[error("the ipfs-kit home at {} is read-only; this command writes to it (reads such as `bucket files`, `cat` and `check` work)", .0.display())]
    ReadOnlyHome(std::path::PathBuf),
    #[error(
        "{} has catalog layout {found}, which must be migrated to layout {expected} before this ipfs-kit reads it, and the home is read-only; copy the home to writable storage",
        path.display()
    )]
    ReadOnlyOldLayout { path: std::path::PathBuf, found: i64, expected: i64 },
    #[error("writing the Parquet index")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("building the Parquet index")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error(transparent)]
    Profile(#[from] ipfs_kit_unixfs::ProfileError),
}

/// An error and its causes on one line, for variants that wrap an error without exposing it
/// as their source (so the CLI does not print the causes twice).
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

impl BucketError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> BucketError + '_ {
        move |source| BucketError::Io { path: path.to_owned(), source }
    }
}
