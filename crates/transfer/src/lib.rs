//! Moving buckets between this home and the IPFS world: `push` streams a bucket's DAG to a
//! Kubo node (then asks a pinning service to pin it) or stores it as CAR shards in a Storacha
//! space; `pull` fetches a DAG from a remote, every block verified before it is stored.
//!
//! Layering: this crate joins `ipfs-kit-buckets` (what to send, where to keep what arrives) and
//! `ipfs-kit-remotes` (how to talk to each kind of remote); neither knows the other. The CLI
//! and the Python package both call it, and print or return what it reports.

pub mod error;
pub mod pull;
pub mod push;
mod storacha_push;

pub use error::TransferError;
pub use pull::{PullRequest, Pulled, pull};
pub use push::{PushRequest, Pushed, Sent, push};
pub use storacha_push::StorachaPushed;

use std::time::Duration;

/// What a long transfer tells whoever shows progress. Every method has a silent default.
pub trait Observer {
    /// The bytes to send (or to fetch, when known) are counted: a progress line can start.
    /// `what` is a verb for it ("pushing", "pulling").
    fn started(&mut self, _what: &'static str, _total_bytes: Option<u64>) {}
    /// The transfer this progress line was for has ended, well or not.
    fn finished(&mut self) {}
    /// A transient fault on `remote`; the call is tried again after `wait`.
    fn retrying(&mut self, _remote: &str, _fault: &str, _wait: Duration, _attempt: u32, _of: u32) {}
}

/// An observer that shows nothing.
pub struct Silent;

impl Observer for Silent {}
