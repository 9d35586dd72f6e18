//! IPLD for ipfs-kit: the tables every other crate consults about a block it did not make.
//!
//! - [`hash`]: the multihash table. [`hash::verify`] checks a block's bytes against its CID
//!   for every common hash function (sha2, sha3, keccak, blake2b/blake2s of every length,
//!   blake3, identity) and refuses the rest.
//! - [`codec`]: the codec table (names, and which codecs hold links).
//! - [`links()`]: the CIDs a block links to, for dag-pb, DAG-CBOR and DAG-JSON, decoded within
//!   [`LinkLimits`].
//! - [`pb`]: the canonical dag-pb decoder and encoder (UnixFS builds on it; it lives here so
//!   that `links` can read dag-pb without this crate knowing UnixFS).
//!
//! This is the lowest crate of the workspace: it depends on no other ipfs-kit crate, and the
//! CAR reader, the UnixFS reader, the block store and the buckets all use it, so a block is
//! verified and its links are found the same way everywhere.

mod cbor;
pub mod codec;
pub mod error;
pub mod hash;
pub mod links;
pub mod pb;
pub mod varint;

#[cfg(test)]
mod testutil;

pub use error::{DecodeError, LinksError};
pub use hash::{Mismatch, verify};
pub use links::{LinkLimits, links, links_with};
