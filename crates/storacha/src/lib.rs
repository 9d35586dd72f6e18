//! A native Rust client of the Storacha (w3up) upload API: no Node, no JS CLI.
//!
//! Layers, each its own module:
//! - [`value`]: the IPLD data model and canonical DAG-CBOR (via `cbor4ii`);
//! - [`dagjson`]: the DAG-JSON writer that the UCAN signing form needs;
//! - [`did`] and [`key`]: `did:key` Ed25519 principals, varsig signatures;
//! - [`ucan`]: dag-ucan 0.9.1 tokens, signed over their JWT rendering;
//! - [`receipt`]: ucanto receipts, signed over DAG-CBOR(`ocm`);
//! - [`blob`]: blob digests, shard CIDs and the derived `http/put` key;
//! - [`commp`]: the streaming piece commitment (piece CID v2);
//! - [`delegation`]: proofs in the base64 and CAR forms users export;
//! - [`message`]: ucanto agent messages as CARs, and finding receipts in them;
//! - [`index`]: the sharded-DAG index blob;
//! - [`invoke`]: the invocations of a shard upload;
//! - [`client`]: one call per capability, and [`upload`]: the blob flow, streamed.
//!
//! Protocol notes are in `docs/storacha.md`'s source, the shared `PROTOCOL.md`; the tests in
//! `tests/vectors.rs` check every layer against traffic captured from the JS client.

pub mod blob;
pub mod client;
pub mod commp;
pub mod dagjson;
pub mod delegation;
pub mod did;
pub mod error;
pub mod index;
pub mod invoke;
pub mod key;
pub mod message;
pub mod receipt;
pub mod ucan;
pub mod upload;
pub mod value;

pub use blob::BlobDigest;
pub use client::{Config, Storacha};
pub use commp::PieceHasher;
pub use delegation::Proof;
pub use error::Error;
pub use key::Signer;
pub use message::Message;
pub use receipt::Receipt;
pub use ucan::{Capability, Payload, Ucan};
pub use upload::{BlobSource, Stored};
pub use value::{Block, Value};
