//! Buckets: named, versioned folders of files kept as UnixFS DAGs in the block store, with a
//! SQLite catalog as the source of truth and a Parquet index per bucket for outside readers.
//!
//! Layering: this crate uses `ipfs-kit-unixfs` (DAGs) and `ipfs-kit-blockstore` (blocks, lock);
//! neither knows buckets exist.

pub mod buckets;
pub mod catalog;
pub mod cids;
pub mod error;
pub mod export;
pub mod home;
pub mod index;
pub mod mime;
pub mod names;
pub mod time;
pub mod tree;

pub use buckets::{AddReport, BucketSummary, Buckets, Found};
pub use catalog::{BucketRow, EntryRow};
pub use error::BucketError;
pub use home::Home;
