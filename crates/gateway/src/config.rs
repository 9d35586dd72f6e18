//! What `serve` is asked to do.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cid::Cid;
use ipfs_kit_buckets::Home;

use crate::error::GatewayError;

/// Where a bucket version lives, as the web page shows it (one row per remote that holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The remote's name.
    pub remote: String,
    /// `kubo`, `pinning`, `storacha`, …
    pub kind: String,
    /// What the remote last confirmed: `pinned`, `uploaded`, `queued`, …
    pub status: String,
    /// When it was recorded (RFC 3339).
    pub at: String,
    /// The command that pulls the version back, when there is one.
    pub pull: Option<String>,
    /// A URL the version can be read at (a Storacha gateway), when there is one.
    pub url: Option<String>,
}

/// Tells the web page where a bucket version (a root CID) lives. The CLI implements it over
/// the remotes' push records, so this crate needs no arrow to `ipfs-kit-remotes`.
pub trait Places: Send + Sync {
    fn places(&self, root: &Cid) -> Vec<Place>;
}

/// Bounds on what clients may cost the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// A request's head must arrive within this (slow-header clients are dropped).
    pub header_timeout: Duration,
    /// A response body that the client has not read from for this long is abandoned.
    pub write_stall: Duration,
    /// Threads that read the store (the blocking pool).
    pub read_threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            write_stall: Duration::from_secs(60),
            read_threads: 16,
        }
    }
}

/// Everything `serve` needs.
#[derive(Clone)]
pub struct ServeConfig {
    pub home: Home,
    pub listen: SocketAddr,
    /// Needed for any address that is not loopback; then `buckets` must name what is served.
    pub public: bool,
    /// The buckets served (with their snapshots and every block they reach); empty serves the
    /// whole home.
    pub buckets: Vec<String>,
    /// One line per request on stderr.
    pub log: bool,
    pub places: Option<Arc<dyn Places>>,
    pub limits: Limits,
}

impl ServeConfig {
    pub fn new(home: Home, listen: SocketAddr) -> Self {
        ServeConfig {
            home,
            listen,
            public: false,
            buckets: Vec::new(),
            log: false,
            places: None,
            limits: Limits::default(),
        }
    }

    /// Refuses a configuration that would expose more than was asked for.
    pub fn check(&self) -> Result<(), GatewayError> {
        if !self.listen.ip().is_loopback() && !self.public {
            return Err(GatewayError::NotLoopback(self.listen));
        }
        if self.public && self.buckets.is_empty() {
            return Err(GatewayError::PublicNeedsBuckets);
        }
        Ok(())
    }
}
