//! A service with the IPFS Pinning Service API (`/pins`, bearer token): IPFS Cluster's
//! pinning-service endpoint, Pinata, Filebase, 4EVERLAND, the reference mock.
//!
//! A pin request goes `queued` → `pinning` → `pinned` or `failed`; only the service says which,
//! and `pinned` is never claimed before it does.

use std::time::{Duration, Instant};

use cid::Cid;
use serde_json::{Value, json};

use crate::cids::{cid_in, number_in};
use crate::error::{Fault, RemoteError};
use crate::http::{Client, Timeouts};
use crate::remote::{CheckReport, Confirmation, Remote};
use crate::retry::RetryPolicy;

pub struct Pinning {
    name: String,
    client: Client,
    retry: RetryPolicy,
}

/// A pin request as the service reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinStatus {
    pub request_id: String,
    pub status: String,
    pub cid: Option<Cid>,
}

impl PinStatus {
    pub fn is_final(&self) -> bool {
        self.status == "pinned" || self.status == "failed"
    }

    pub fn confirmation(&self, seen: &str) -> Confirmation {
        Confirmation {
            status: self.status.clone(),
            seen: format!("{seen}: {}", self.status),
            request_id: Some(self.request_id.clone()),
        }
    }
}

fn status_of(v: &Value) -> Result<PinStatus, Fault> {
    let request_id = v.get("requestid").and_then(Value::as_str).map(str::to_owned);
    let status = v.get("status").and_then(Value::as_str).map(str::to_owned);
    match (request_id, status) {
        (Some(request_id), Some(status)) if ["queued", "pinning", "pinned", "failed"].contains(&status.as_str()) => {
            Ok(PinStatus { request_id, status, cid: v.get("pin").and_then(|p| p.get("cid")).and_then(cid_in) })
        }
        _ => Err(Fault::Protocol(format!("not a pin status: {}", crate::http::snippet(&v.to_string())))),
    }
}

impl Pinning {
    pub fn new(name: &str, endpoint: &str, token: &str, retry: RetryPolicy, timeouts: Timeouts) -> Self {
        let headers = vec![("Authorization".to_owned(), format!("Bearer {token}"))];
        Pinning { name: name.to_owned(), client: Client::new(endpoint, headers, timeouts), retry }
    }

    /// `POST /pins {cid, name, origins}`: the service accepts the request (202) and says its status.
    pub fn add(&self, root: &Cid, name: &str, origins: &[String]) -> Result<PinStatus, RemoteError> {
        let mut body = json!({"cid": root.to_string(), "name": name});
        if !origins.is_empty() {
            body["origins"] = json!(origins);
        }
        self.retry.run(
            &format!("pin on {}: POST /pins", self.name),
            |_| status_of(&self.client.post_json("/pins", Some(&body))?.json()?),
            |_, _, _| {},
        )
    }

    /// `GET /pins/{requestid}`.
    pub fn get(&self, request_id: &str) -> Result<PinStatus, RemoteError> {
        let path = format!("/pins/{request_id}");
        self.retry.run(
            &format!("pin on {}: GET {path}", self.name),
            |_| status_of(&self.client.get(&path)?.json()?),
            |_, _, _| {},
        )
    }

    /// Polls the request until `pinned` or `failed`, or `timeout`; `on_change` hears each new status.
    pub fn follow(
        &self,
        first: PinStatus,
        timeout: Duration,
        poll: Duration,
        mut on_change: impl FnMut(&PinStatus),
    ) -> Result<PinStatus, RemoteError> {
        let deadline = Instant::now() + timeout;
        let mut last = first;
        while !last.is_final() && Instant::now() < deadline {
            std::thread::sleep(poll.min(deadline.saturating_duration_since(Instant::now())));
            let now = self.get(&last.request_id)?;
            if now.status != last.status {
                on_change(&now);
            }
            last = now;
        }
        Ok(last)
    }

    /// The newest request for `root` (`GET /pins?cid=…`), if any.
    pub fn find(&self, root: &Cid) -> Result<Option<PinStatus>, RemoteError> {
        let path = format!("/pins?cid={root}&status=queued,pinning,pinned,failed&limit=1");
        let v =
            self.retry.run(&format!("{} GET /pins", self.name), |_| self.client.get(&path)?.json(), |_, _, _| {})?;
        let results = v.get("results").and_then(Value::as_array).cloned().unwrap_or_default();
        results.first().map(status_of).transpose().map_err(|fault| RemoteError::Http {
            what: format!("{} GET /pins", self.name),
            fault,
            attempts: 1,
        })
    }
}

impl Remote for Pinning {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "pinning"
    }

    /// `GET /pins?limit=1` needs the token, so it proves both reach and credentials.
    fn check(&self) -> Result<CheckReport, RemoteError> {
        let v = self.retry.run(
            &format!("{} GET /pins", self.name),
            |_| self.client.get("/pins?limit=1")?.json(),
            |_, _, _| {},
        )?;
        let count = v.get("count").and_then(number_in).unwrap_or(0);
        Ok(CheckReport {
            version: Some("Pinning Service API".into()),
            detail: format!("token accepted; {count} pin request{}", if count == 1 { "" } else { "s" }),
        })
    }

    fn confirm(&self, root: &Cid) -> Result<Option<Confirmation>, RemoteError> {
        Ok(self.find(root)?.map(|s| s.confirmation("GET /pins?cid")))
    }
}
