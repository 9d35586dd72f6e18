//! A node with the Kubo RPC API (`/api/v0`): Kubo, or js-ipfs, which serves the same RPC.
//!
//! Every call is a POST (the RPC refuses GET). Dialects tolerated: CIDs in any base, numbers as
//! strings or numbers, single JSON objects or newline-delimited streams, and optional
//! endpoints that are missing (js-ipfs has no `dag/stat`; nothing here needs it).

use cid::Cid;
use serde_json::Value;

use crate::cids::{cid_in, json_lines, same_block};
use crate::error::{Fault, RemoteError};
use crate::http::{Client, Timeouts};
use crate::multipart::{self, Producer};
use crate::remote::{CheckReport, Confirmation, Remote};
use crate::retry::RetryPolicy;

pub struct Kubo {
    name: String,
    client: Client,
    retry: RetryPolicy,
}

/// What a push of a CAR did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Tries it took (retries of transient faults included).
    pub attempts: u32,
    pub confirmation: Confirmation,
}

impl Kubo {
    pub fn new(name: &str, api: &str, headers: Vec<(String, String)>, retry: RetryPolicy, timeouts: Timeouts) -> Self {
        Kubo { name: name.to_owned(), client: Client::new(api, headers, timeouts), retry }
    }

    fn call(&self, what: &str, path: &str) -> Result<Value, RemoteError> {
        self.retry.run(&format!("{} {what}", self.name), |_| self.client.post_json(path, None)?.json(), |_, _, _| {})
    }

    /// The node's version string (`/api/v0/version`).
    pub fn version(&self) -> Result<String, RemoteError> {
        let v = self.call("version", "/api/v0/version")?;
        Ok(v.get("Version").and_then(Value::as_str).unwrap_or("unknown").to_owned())
    }

    /// The node's peer id and the addresses it listens on (`/api/v0/id`), each ending in
    /// `/p2p/<id>`, as the Pinning Service API wants `origins`.
    pub fn id(&self) -> Result<(String, Vec<String>), RemoteError> {
        let v = self.call("id", "/api/v0/id")?;
        let id = v.get("ID").or_else(|| v.get("id")).and_then(Value::as_str).unwrap_or("").to_owned();
        let addrs =
            v.get("Addresses").or_else(|| v.get("addresses")).and_then(Value::as_array).cloned().unwrap_or_default();
        let addrs = addrs
            .iter()
            .filter_map(Value::as_str)
            .map(|a| if a.contains("/p2p/") || id.is_empty() { a.to_owned() } else { format!("{a}/p2p/{id}") })
            .collect();
        Ok((id, addrs))
    }

    /// Streams the CAR that `produce` writes to `dag/import` (roots pinned), then confirms the
    /// root with `pin/ls`. Each try streams the CAR afresh; `on_retry` hears of transient faults.
    /// With `car_len` (the plan's size), the upload carries a `Content-Length` instead of being chunked.
    pub fn import_car(
        &self,
        root: &Cid,
        car_len: Option<u64>,
        produce: &Producer<'_>,
        mut on_retry: impl FnMut(u32, &Fault, std::time::Duration),
    ) -> Result<Imported, RemoteError> {
        let what = format!("push to {}: dag/import", self.name);
        let mut source_failure = None;
        let mut attempts = 0;
        let answer = self.retry.run(
            &what,
            |attempt| {
                attempts = attempt;
                let streamed =
                    multipart::stream("push.car", "application/vnd.ipld.car", car_len, produce, |ct, len, body| {
                        self.client.post_stream("/api/v0/dag/import?pin-roots=true", ct, len, body)
                    })
                    .map_err(|e| Fault::Protocol(format!("cannot make a pipe: {e}")))?;
                match (streamed.consumed, streamed.produced) {
                    (Ok(answer), Ok(())) => Ok(answer),
                    // The store failed, not the remote: the upload was cut off on purpose.
                    (_, Err(why)) if !is_pipe_closed(&why) => {
                        source_failure = Some(why.clone());
                        Err(Fault::Protocol(why))
                    }
                    (Err(fault), _) => Err(fault),
                    (Ok(_), Err(why)) => Err(Fault::Reset(why)),
                }
            },
            |a, f, d| on_retry(a, f, d),
        );
        if let Some(why) = source_failure {
            return Err(RemoteError::Source(why));
        }
        check_import_answer(&self.name, root, &answer?.body)?;
        let confirmation = self.confirm(root)?.ok_or_else(|| RemoteError::Http {
            what: format!("push to {}: pin/ls", self.name),
            fault: Fault::Protocol(format!("the node imported {root} but does not list it as pinned")),
            attempts: 1,
        })?;
        Ok(Imported { attempts, confirmation })
    }

    /// The DAG under `root` as a CARv1 stream (`dag/export`), read as it arrives. Opening the
    /// stream is retried; a stream lost midway is the caller's to resume.
    pub fn dag_export(&self, root: &Cid) -> Result<Box<dyn std::io::Read + Send>, RemoteError> {
        let path = format!("/api/v0/dag/export?arg={root}&progress=false");
        let stream = self.retry.run(
            &format!("{} dag/export {root}", self.name),
            |_| self.client.post_for_stream(&path),
            |_, _, _| {},
        )?;
        Ok(stream.body)
    }

    /// One block's bytes (`block/get`), at most `max` of them; unverified.
    pub fn block_get(&self, cid: &Cid, max: u64) -> Result<Vec<u8>, RemoteError> {
        let path = format!("/api/v0/block/get?arg={cid}");
        self.retry.run(
            &format!("{} block/get {cid}", self.name),
            |_| self.client.post_for_bytes(&path, max),
            |_, _, _| {},
        )
    }

    /// Bytes of the file at `path` (a CID or CID/path), through `cat`.
    pub fn cat(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        let answer = self.retry.run(
            &format!("{} cat", self.name),
            |_| self.client.post_json(&format!("/api/v0/cat?arg={path}"), None),
            |_, _, _| {},
        )?;
        Ok(answer.body.into_bytes())
    }
}

fn is_pipe_closed(why: &str) -> bool {
    why.contains("Broken pipe") || why.contains("broken pipe")
}

/// The `dag/import` answer names the root and no pin error (both dialects send one
/// `{"Root": {"Cid": {"/": …}, "PinErrorMsg": …}}` line per root, then maybe `Stats`).
fn check_import_answer(remote: &str, root: &Cid, body: &str) -> Result<(), RemoteError> {
    let what = format!("push to {remote}: dag/import");
    for line in json_lines(body) {
        let Some(r) = line.get("Root") else { continue };
        let Some(cid) = r.get("Cid").and_then(cid_in) else { continue };
        if !same_block(&cid, root) {
            continue;
        }
        let msg = r.get("PinErrorMsg").and_then(Value::as_str).unwrap_or("");
        if !msg.is_empty() {
            return Err(RemoteError::Http {
                what,
                fault: Fault::Protocol(format!("the root was not pinned: {msg}")),
                attempts: 1,
            });
        }
        return Ok(());
    }
    Err(RemoteError::Http {
        what,
        fault: Fault::Protocol(format!("the answer does not name the root {root}: {}", crate::http::snippet(body))),
        attempts: 1,
    })
}

/// Whether a `pin/ls` answer lists `root` (Kubo: `{"Keys": {cid: {"Type": …}}}`; a stream
/// of `{"Cid": …, "Type": …}` lines when asked to stream). Returns the pin type.
fn pin_type_in(root: &Cid, body: &str) -> Option<String> {
    for line in json_lines(body) {
        if let Some(keys) = line.get("Keys").and_then(Value::as_object) {
            for (k, v) in keys {
                if k.parse::<Cid>().is_ok_and(|c| same_block(&c, root)) {
                    return Some(v.get("Type").and_then(Value::as_str).unwrap_or("recursive").to_owned());
                }
            }
        }
        if line.get("Cid").and_then(cid_in).is_some_and(|c| same_block(&c, root)) {
            return Some(line.get("Type").and_then(Value::as_str).unwrap_or("recursive").to_owned());
        }
    }
    None
}

impl Remote for Kubo {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "kubo"
    }

    fn check(&self) -> Result<CheckReport, RemoteError> {
        let version = self.version()?;
        Ok(CheckReport { version: Some(version), detail: "RPC API answers; credentials accepted".into() })
    }

    /// `pin/ls` on the root: pinned recursively is the confirmation. A node answers an
    /// unpinned CID with an error ("not pinned"), which is a "no" here, not a fault.
    fn confirm(&self, root: &Cid) -> Result<Option<Confirmation>, RemoteError> {
        let path = format!("/api/v0/pin/ls?arg={root}&type=recursive");
        let result = self.retry.run(
            &format!("{} pin/ls", self.name),
            |_| match self.client.post_json(&path, None) {
                Ok(a) => Ok(Some(a.body)),
                Err(Fault::Server(_, m) | Fault::Refused(_, m))
                    if m.contains("not pinned") || m.contains("is not pinned") =>
                {
                    Ok(None)
                }
                Err(f) => Err(f),
            },
            |_, _, _| {},
        )?;
        Ok(result.and_then(|body| pin_type_in(root, &body)).filter(|t| t == "recursive").map(|t| Confirmation {
            status: "pinned".into(),
            seen: format!("pin/ls: {t}"),
            request_id: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_either_dialect_are_read() {
        let root: Cid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi".parse().unwrap();
        let b58 = root.to_string_of_base(multibase::Base::Base58Btc).unwrap();
        let js = format!("{{\"Root\":{{\"Cid\":{{\"/\":\"{b58}\"}},\"PinErrorMsg\":\"\"}}}}\n");
        assert!(check_import_answer("n", &root, &js).is_ok());
        let failed = format!("{{\"Root\":{{\"Cid\":{{\"/\":\"{root}\"}},\"PinErrorMsg\":\"no space\"}}}}");
        assert!(check_import_answer("n", &root, &failed).unwrap_err().to_string().contains("no space"));
        assert!(check_import_answer("n", &root, "{}").is_err());
        assert_eq!(
            pin_type_in(&root, &format!("{{\"Keys\":{{\"{b58}\":{{\"Type\":\"recursive\"}}}}}}")).as_deref(),
            Some("recursive")
        );
        assert_eq!(
            pin_type_in(&root, &format!("{{\"Cid\":\"{root}\",\"Type\":\"direct\"}}")).as_deref(),
            Some("direct")
        );
        assert_eq!(pin_type_in(&root, "{\"Keys\":{}}"), None);
    }
}
