//! A trustless HTTP gateway (`GET /ipfs/{cid}?format=raw|car`): read only, so it can be
//! checked and (by `pull`, elsewhere) read from, never pushed to.

use cid::Cid;

use crate::error::{Fault, RemoteError};
use crate::http::{Client, Timeouts};
use crate::remote::{CheckReport, Confirmation, Remote};
use crate::retry::RetryPolicy;

/// The empty identity CID: every trustless gateway can answer it without any data.
const PROBE: &str = "bafkqaaa";

pub struct Gateway {
    name: String,
    client: Client,
    retry: RetryPolicy,
}

impl Gateway {
    pub fn new(name: &str, url: &str, retry: RetryPolicy, timeouts: Timeouts) -> Self {
        let headers = vec![("Accept".to_owned(), "application/vnd.ipld.raw".to_owned())];
        Gateway { name: name.to_owned(), client: Client::new(url, headers, timeouts), retry }
    }
}

impl Remote for Gateway {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "gateway"
    }

    fn check(&self) -> Result<CheckReport, RemoteError> {
        let path = format!("/ipfs/{PROBE}?format=raw");
        let answer =
            self.retry.run(&format!("{} GET /ipfs/{PROBE}", self.name), |_| self.client.get(&path), |_, _, _| {})?;
        Ok(CheckReport { version: None, detail: format!("trustless gateway answers (HTTP {})", answer.status) })
    }

    /// A gateway serves what it can find; it pins nothing, so nothing is confirmed by it.
    fn confirm(&self, _root: &Cid) -> Result<Option<Confirmation>, RemoteError> {
        Err(RemoteError::Http {
            what: format!("{}: status", self.name),
            fault: Fault::Refused(0, "a gateway is read only and pins nothing".into()),
            attempts: 1,
        })
    }
}
