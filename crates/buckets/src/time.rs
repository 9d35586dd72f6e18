//! UTC timestamps: the block store's, so lock records and catalog rows read alike.

pub use ipfs_kit_blockstore::time::{now_rfc3339, rfc3339};
