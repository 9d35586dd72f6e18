//! UnixFS for ipfs-kit: dag-pb encoding, the IPIP-499 importer and a verifying reader.
//!
//! The CIDs this crate makes are the ones Kubo, Helia and ipfs-car make for the same bytes under
//! the same profile; the interop tests check that against those implementations. The modules
//! follow boxo's split: `pb` (dag-pb), `data` (the UnixFS message), `file` (chunking and the
//! balanced layout), `dir` and `hamt` (directories), `import` (the filesystem walk) and `reader`.
//! Storage is two traits in `block`, so nothing here knows about block stores or buckets.

pub mod block;
pub mod data;
pub mod diff;
pub mod dir;
pub mod error;
pub mod file;
pub mod hamt;
pub mod import;
pub mod meter;
pub mod name;
pub use ipfs_kit_ipld::pb;
pub mod profile;
pub mod reader;
pub mod sha256x2;
pub mod validate;
pub use ipfs_kit_ipld::varint;

pub use block::{BlockSink, BlockSource, MemoryBlocks, NullSink};
pub use error::{DecodeError, ImportError, ProfileError, ReadError, TreeError};
pub use file::Node;
pub use import::{
    EntryKind, ImportObserver, ImportOptions, Imported, ImportedEntry, Quiet, import_path, import_path_observed,
};
pub use meter::Meter;
pub use profile::{Overrides, Profile, ShardRule};
pub use reader::DagReader;
pub use validate::{TreeLimits, TreeSummary, check_tree};
