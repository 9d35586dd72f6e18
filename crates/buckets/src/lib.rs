//! Buckets: named, versioned folders of files kept as UnixFS DAGs in the block store, with a
//! SQLite catalog as the source of truth and a Parquet index per bucket for outside readers.
//!
//! Layering: this crate uses `ipfs-kit-unixfs` (DAGs) and `ipfs-kit-blockstore` (blocks, lock);
//! neither knows buckets exist.

pub mod access;
pub mod atomic;
pub mod buckets;
pub mod car;
pub mod car_export;
pub mod car_file;
mod car_out;
pub mod car_shards;
pub mod car_verify;
pub mod catalog;
pub mod check;
mod check_rows;
mod check_walk;
pub mod cids;
pub mod dag;
pub mod dag_filter;
mod dag_walk;
pub mod error;
pub mod export;
pub mod gc;
pub mod home;
pub mod index;
pub mod index_read;
mod index_sync;
pub mod manifest;
pub mod mime;
pub mod names;
pub mod objects;
pub mod pull;
pub mod pull_dag;
pub mod restore;
mod settle;
pub mod snapshot;
mod staging;
pub mod time;
pub mod tree;
pub mod uploads;

pub use buckets::{AddReport, BucketSummary, Buckets, Found, Waiting};
pub use catalog::{BucketRow, EntryRow, ObjectAttrs};
pub use error::BucketError;
pub use home::Home;
