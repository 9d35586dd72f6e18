//! Where a pull reads from: a kubo remote (`dag/export`, `block/get`), a gateway remote, a
//! Storacha remote's retrieval gateway, or a
//! trustless gateway given by URL (`--from https://…`). A pinning remote holds no blocks
//! itself; a pull from it reads from the kubo remote it was added with.

use std::io::Read;

use cid::Cid;

use crate::config::{RemoteSpec, Remotes};
use crate::error::RemoteError;
use crate::gateway::Gateway;
use crate::http::Timeouts;
use crate::kubo::Kubo;
use crate::read_ahead::ReadAhead;
use crate::retry::RetryPolicy;

pub enum Fetcher {
    Kubo(Kubo),
    Gateway(Gateway),
}

impl Fetcher {
    /// The source `from` names: a remote's name, or an `http(s)://` URL of a trustless gateway.
    pub fn open(from: &str, remotes: &Remotes, retry: RetryPolicy, timeouts: Timeouts) -> Result<Self, RemoteError> {
        if from.starts_with("http://") || from.starts_with("https://") {
            return Ok(Fetcher::Gateway(Gateway::new(from, from, retry, timeouts)));
        }
        Ok(match remotes.get(from)? {
            RemoteSpec::Kubo { api, headers } => Fetcher::Kubo(Kubo::new(from, api, headers.clone(), retry, timeouts)),
            RemoteSpec::Gateway { url } => Fetcher::Gateway(Gateway::new(from, url, retry, timeouts)),
            // A Storacha space is read through its retrieval gateway, like any trustless one.
            RemoteSpec::Storacha { gateway, .. } => Fetcher::Gateway(Gateway::new(from, gateway, retry, timeouts)),
            RemoteSpec::Pinning { kubo: Some(kubo), .. } => match remotes.get(kubo)? {
                RemoteSpec::Kubo { api, headers } => {
                    Fetcher::Kubo(Kubo::new(kubo, api, headers.clone(), retry, timeouts))
                }
                _ => return Err(RemoteError::Invalid(format!("remote {kubo:?} (the --kubo of {from:?}) is not kubo"))),
            },
            RemoteSpec::Pinning { kubo: None, .. } => {
                return Err(RemoteError::WrongKind {
                    name: from.to_owned(),
                    kind: "pinning",
                    why: "a pinning service serves no blocks; pull from its gateway (--from URL) or a kubo remote"
                        .into(),
                });
            }
        })
    }

    /// The DAG under `root` as a CAR stream, read ahead on a thread of its own (up to 8 MiB),
    /// so the network keeps flowing while the caller checks and stores what came.
    pub fn car(&self, root: &Cid) -> Result<Box<dyn Read + Send>, RemoteError> {
        let stream = match self {
            Fetcher::Kubo(k) => k.dag_export(root)?,
            Fetcher::Gateway(g) => g.car(root)?,
        };
        Ok(Box::new(ReadAhead::new(stream, 1 << 20, 8)))
    }

    pub fn block(&self, cid: &Cid, max: u64) -> Result<Vec<u8>, RemoteError> {
        match self {
            Fetcher::Kubo(k) => k.block_get(cid, max),
            Fetcher::Gateway(g) => g.block(cid, max),
        }
    }
}
