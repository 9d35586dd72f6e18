//! Typed errors, one enum per operation: decoding a block, importing a tree, reading a DAG and
//! choosing a profile. Each carries the context a user needs to act: the byte offset, the path or
//! the CID.

use std::path::PathBuf;

use cid::Cid;

/// Why a dag-pb block or a UnixFS `Data` message was refused (defined with the dag-pb decoder,
/// which lives in `ipfs-kit-ipld` so that every crate follows dag-pb links the same way).
pub use ipfs_kit_ipld::DecodeError;

/// Why a filesystem tree could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("{}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: file name is not valid UTF-8", path.display())]
    NonUtf8Name { path: PathBuf },
    #[error("{}: {reason}", crate::name::escape_controls(&path.to_string_lossy()))]
    BadName { path: PathBuf, reason: &'static str },
    #[error("{}: unsupported file type (not a file, directory or symlink)", path.display())]
    UnsupportedFileType { path: PathBuf },
    #[error("{}: file changed while it was read ({expected} bytes expected, {actual} read)", path.display())]
    FileChanged { path: PathBuf, expected: u64, actual: u64 },
    #[error("names {names:?} share all 64 bits of their HAMT hash")]
    HamtCollision { names: Vec<String> },
    #[error("storing block {cid}")]
    Sink { cid: Cid, source: Box<dyn std::error::Error + Send + Sync> },
}

/// Why a DAG could not be read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("block {cid} is missing")]
    MissingBlock { cid: Cid },
    #[error("block {cid} does not match its hash")]
    HashMismatch { cid: Cid },
    #[error("block {cid} uses unsupported multihash 0x{code:x}")]
    UnsupportedHash { cid: Cid, code: u64 },
    #[error("block {cid} uses unsupported codec 0x{codec:x}")]
    UnsupportedCodec { cid: Cid, codec: u64 },
    #[error("block {cid} is malformed")]
    Decode { cid: Cid, source: DecodeError },
    #[error("block {cid} is a {found}, expected a {expected}")]
    UnexpectedNode { cid: Cid, expected: &'static str, found: &'static str },
    #[error("block {cid}: file sizes in the DAG disagree")]
    SizeMismatch { cid: Cid },
    #[error("no entry {name:?} in directory {cid}")]
    NotFound { cid: Cid, name: String },
    #[error("DAG under {cid} is deeper than {limit} levels")]
    TooDeep { cid: Cid, limit: usize },
    #[error("reading block {cid}")]
    Source { cid: Cid, source: Box<dyn std::error::Error + Send + Sync> },
}

impl From<ReadError> for std::io::Error {
    fn from(err: ReadError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, err)
    }
}

/// Why a profile or one of its overrides was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    #[error("unknown profile {0:?} (known: unixfs-v1-2025, unixfs-v0-2015, ipfs-car)")]
    UnknownProfile(String),
    #[error("bad chunker {0:?}: expected size-N with 1 <= N <= 1048576")]
    BadChunker(String),
    #[error("bad max-links {0}: expected 2..=65536")]
    BadMaxLinks(usize),
    #[error("bad CID version {0}: expected 0 or 1")]
    BadCidVersion(u64),
}

/// Why a UnixFS tree from an untrusted source was refused before anything used it. Each names
/// the path (control characters escaped) and, where one block is at fault, its CID.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the DAG under {root} describes more than {limit} entries (raise --max-entries to accept it)")]
    TooManyEntries { root: Cid, limit: u64 },
    #[error(
        "the DAG under {root} repeats directories it already holds for more than {limit} entries: it describes \
         far more than it carries (raise --max-entries to accept it)"
    )]
    TooManyRepeats { root: Cid, limit: u64 },
    #[error("the DAG under {root} holds more than {limit} bytes of paths (raise --max-entries to accept it)")]
    TooManyPathBytes { root: Cid, limit: u64 },
    #[error("{path:?}: directories nested deeper than {limit} levels")]
    TooDeep { path: String, limit: usize },
    #[error("{path:?}: a path longer than {limit} bytes")]
    PathTooLong { path: String, limit: usize },
    #[error("{path:?}: {reason}")]
    BadName { path: String, reason: &'static str },
    #[error("{path:?} (block {cid}): {reason}")]
    Malformed { path: String, cid: Cid, reason: String },
}
