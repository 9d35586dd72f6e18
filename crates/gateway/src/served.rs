//! The state every request shares, and each read thread's own handle on the home.
//!
//! `Buckets` holds SQLite connections, which may move between threads but not be shared, so
//! each thread of the read pool opens the home once and keeps it (`with_home`). Reads never
//! take the writer lock; SQLite's WAL gives each query the last committed state.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cid::Cid;
use ipfs_kit_buckets::{Buckets, Home};

use crate::config::{Places, ServeConfig};
use crate::headers::Reject;
use crate::reach::Reach;

/// Shared by every request.
pub struct Served {
    pub home: Home,
    /// The address clients reach us at (the routing answer names it).
    pub addr: SocketAddr,
    /// The buckets served; empty means the whole home.
    pub buckets: Vec<String>,
    /// Which blocks the served buckets reach, when `buckets` limits what is served.
    pub reach: Option<Reach>,
    pub places: Option<Arc<dyn Places>>,
    pub log: bool,
    /// `--public`: any Host header is answered. Otherwise only loopback names are (`routes`).
    pub public: bool,
    /// A libp2p peer ID for the routing answer (clients group providers by it).
    pub peer_id: String,
}

thread_local! {
    static HOME: RefCell<Option<(PathBuf, Buckets)>> = const { RefCell::new(None) };
}

impl Served {
    pub fn new(config: &ServeConfig, addr: SocketAddr, peer_id: String) -> Self {
        Served {
            home: config.home.clone(),
            addr,
            buckets: config.buckets.clone(),
            reach: (!config.buckets.is_empty()).then(|| Reach::new(config.buckets.clone())),
            places: config.places.clone(),
            log: config.log,
            public: config.public,
            peer_id,
        }
    }

    /// Runs `f` with this thread's open home, opening it on first use. Call from the read pool
    /// (`spawn_blocking`), never on an async worker.
    pub fn with_home<T>(&self, f: impl FnOnce(&Buckets) -> Result<T, Reject>) -> Result<T, Reject> {
        HOME.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stale = slot.as_ref().is_none_or(|(root, _)| root != self.home.root());
            if stale {
                let buckets = Buckets::open_existing(self.home.clone()).map_err(Reject::internal)?;
                *slot = Some((self.home.root().to_owned(), buckets));
            }
            let (_, buckets) = slot.as_ref().expect("opened above");
            f(buckets)
        })
    }

    /// Whether a bucket is served.
    pub fn serves_bucket(&self, name: &str) -> bool {
        self.buckets.is_empty() || self.buckets.iter().any(|b| b == name)
    }

    /// Whether the block is one the served buckets reach (always, when the whole home is
    /// served). Refreshes the reach when the buckets changed; call from the read pool.
    pub fn serves_block(&self, buckets: &Buckets, cid: &Cid) -> Result<bool, Reject> {
        match &self.reach {
            None => Ok(true),
            Some(reach) => reach.contains(buckets, cid),
        }
    }
}

impl Served {
    /// Runs `f` on the read pool with this thread's open home (see `with_home`).
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Served, &Buckets) -> Result<T, Reject> + Send + 'static,
    ) -> Result<T, Reject> {
        let served = self.clone();
        tokio::task::spawn_blocking(move || served.with_home(|home| f(&served, home)))
            .await
            .map_err(|e| Reject::internal(format!("a read thread failed: {e}")))?
    }
}

impl Served {
    /// Runs `f` on the calling async worker, for reads that touch one or two blocks (a raw
    /// block): a hop to the read pool costs more than the read. A worker blocks on such a read
    /// as nginx's workers do on a file read; the page cache makes it microseconds.
    pub fn read_inline<T>(&self, f: impl FnOnce(&Served, &Buckets) -> Result<T, Reject>) -> Result<T, Reject> {
        self.with_home(|home| f(self, home))
    }
}
