//! Remotes: the IPFS services a bucket version can be pushed to, kept by name in the home.
//!
//! One trait ([`Remote`]) and one adapter per kind: a node with the Kubo RPC API ([`kubo`]), a
//! service that speaks the IPFS Pinning Service API ([`pinning`]), a Storacha space
//! ([`storacha`], through `ipfs-kit-storacha`), and a trustless HTTP gateway
//! ([`gateway`], read only). The HTTP client is synchronous (`ureq`), like the rest of the
//! code base; faults are told apart as transient (retried with backoff) or permanent (never
//! retried) in [`error`]. What was pushed where is recorded, only after the remote confirmed
//! it, by [`state`].
//!
//! Layering: this crate knows nothing of buckets; the CLI hands it a CAR stream and a root.

pub mod cids;
pub mod config;
pub mod error;
pub mod fetch;
pub mod gateway;
pub mod http;
pub mod kubo;
pub mod multipart;
pub mod pinning;
pub mod read_ahead;
pub mod remote;
pub mod retry;
pub mod state;
pub mod storacha;

pub use config::{RemoteSpec, Remotes};
pub use error::{Fault, RemoteError};
pub use remote::{CheckReport, Remote, open};
