//! A trustless HTTP gateway (`GET /ipfs/{cid}?format=raw|car`, the IPFS trustless-gateway
//! spec): read only, so it can be checked and pulled from, never pushed to.

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
        Gateway { name: name.to_owned(), client: Client::new(url, Vec::new(), timeouts), retry }
    }

    /// The whole DAG under `root` as a CARv1 stream, parents first, no duplicates. The
    /// answer must say it is a CAR: a gateway that sends the file itself (or a web page)
    /// instead is refused here rather than read as a broken CAR.
    pub fn car(&self, root: &Cid) -> Result<Box<dyn std::io::Read + Send>, RemoteError> {
        let path = format!("/ipfs/{root}?format=car&dag-scope=all");
        let what = format!("{} GET /ipfs/{root}?format=car", self.name);
        let stream = self.retry.run(&what, |_| self.client.get_stream(&path, CAR), |_, _, _| {})?;
        match stream.content_type.as_deref() {
            Some(ct) if !ct.starts_with("application/vnd.ipld.car") => Err(RemoteError::Http {
                what,
                fault: Fault::Protocol(format!("the answer is {ct}, not a CAR (is this a trustless gateway?)")),
                attempts: 1,
            }),
            _ => Ok(stream.body),
        }
    }

    /// One block's bytes (`?format=raw`), at most `max` of them; unverified.
    pub fn block(&self, cid: &Cid, max: u64) -> Result<Vec<u8>, RemoteError> {
        let path = format!("/ipfs/{cid}?format=raw");
        let what = format!("{} GET /ipfs/{cid}?format=raw", self.name);
        self.retry.run(&what, |_| self.client.get_bytes(&path, RAW, max), |_, _, _| {})
    }
}

/// What a CAR request accepts: CARv1, depth-first, no duplicate blocks (the spec's defaults,
/// said out loud so a gateway that defaults otherwise still answers this way).
const CAR: &str = "application/vnd.ipld.car; version=1; order=dfs; dups=n";
const RAW: &str = "application/vnd.ipld.raw";

impl Remote for Gateway {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "gateway"
    }

    fn check(&self) -> Result<CheckReport, RemoteError> {
        let path = format!("/ipfs/{PROBE}?format=raw");
        let answer = self.retry.run(
            &format!("{} GET /ipfs/{PROBE}", self.name),
            |_| self.client.get_bytes(&path, RAW, 1 << 20),
            |_, _, _| {},
        )?;
        if !answer.is_empty() {
            return Err(RemoteError::Http {
                what: format!("{}: check", self.name),
                fault: Fault::Protocol(format!("{PROBE} (the empty block) came back as {} bytes", answer.len())),
                attempts: 1,
            });
        }
        Ok(CheckReport { version: None, detail: "trustless gateway answers (the empty identity block)".into() })
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
