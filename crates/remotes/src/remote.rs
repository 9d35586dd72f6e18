//! The one trait every remote kind implements, and opening a remote from its settings.

use cid::Cid;
use serde::{Deserialize, Serialize};

use crate::config::RemoteSpec;
use crate::error::RemoteError;
use crate::gateway::Gateway;
use crate::http::Timeouts;
use crate::kubo::Kubo;
use crate::pinning::Pinning;
use crate::retry::RetryPolicy;
use crate::storacha::{Endpoint, StorachaRemote};

/// What `remote check` found: the remote answered and took the credentials.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub version: Option<String>,
    pub detail: String,
}

/// What a remote said about a root: its status there and the answer that said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// `pinned` (kubo: pinned recursively), a Pinning Service API status (`queued`,
    /// `pinning`, `pinned`, `failed`), or `uploaded` (Storacha: `upload/add` succeeded).
    pub status: String,
    /// The call and answer that showed it, e.g. `pin/ls: recursive`, `GET /pins/{id}: pinned`.
    pub seen: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

pub trait Remote {
    fn name(&self) -> &str;
    fn kind(&self) -> &'static str;
    /// Is it reachable, are the credentials good, which version? `Err` says which failed.
    fn check(&self) -> Result<CheckReport, RemoteError>;
    /// Asks the remote what it holds of `root` now (`None`: nothing).
    fn confirm(&self, root: &Cid) -> Result<Option<Confirmation>, RemoteError>;
}

/// The adapter for `spec`.
pub fn open(name: &str, spec: &RemoteSpec, retry: RetryPolicy, timeouts: Timeouts) -> Box<dyn Remote> {
    match spec {
        RemoteSpec::Kubo { api, headers } => Box::new(Kubo::new(name, api, headers.clone(), retry, timeouts)),
        RemoteSpec::Pinning { endpoint, token, .. } => Box::new(Pinning::new(name, endpoint, token, retry, timeouts)),
        RemoteSpec::Gateway { url } => Box::new(Gateway::new(name, url, retry, timeouts)),
        RemoteSpec::Storacha { service_url, service_did, receipts_url, key, proof, .. } => {
            let endpoint = Endpoint { service_url, service_did, receipts_url };
            Box::new(StorachaRemote::new(name, &endpoint, key, proof))
        }
    }
}
