//! A blocking client of a Storacha upload service: one call per capability, and the blob flow
//! (`space/blob/add` → PUT → `ucan/conclude` of the `http/put` receipt → poll `blob/accept`).
//!
//! Synchronous over `ureq`, like the rest of ipfs-kit. Receipts by `did:key` issuers (storage
//! nodes) are always verified; the service's own `did:web` receipts only when its key is
//! configured, since a client cannot otherwise learn it (the JS and Go clients check neither).
//!
//! Not yet exercised against a live service: the vector tests cover every message it builds.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cid::Cid;

use crate::blob::BlobDigest;
use crate::delegation::Proof;
use crate::error::Error;
use crate::invoke;
use crate::key::Signer;
use crate::message::{Message, encode_request};
use crate::receipt::Receipt;
use crate::ucan::Capability;
use crate::value::{Block, Value};

const CAR_TYPE: &str = "application/vnd.ipld.car";

/// Where the service is and who it is.
#[derive(Debug, Clone)]
pub struct Config {
    pub service_url: String,
    pub service_did: String,
    /// `GET <receipts_url><task CID>` serves receipts of background tasks.
    pub receipts_url: String,
    /// The `did:key` the service signs its `did:web` receipts with, when known.
    pub service_key_did: Option<String>,
    /// Invocation lifetime in seconds (JS uses 30).
    pub ttl: u64,
    /// How many times to ask for the `blob/accept` receipt.
    pub polls: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            service_url: "https://up.storacha.network".into(),
            service_did: "did:web:up.storacha.network".into(),
            receipts_url: "https://up.storacha.network/receipt/".into(),
            service_key_did: None,
            ttl: 30,
            polls: 10,
        }
    }
}

pub struct Storacha {
    http: ureq::Agent,
    config: Config,
    signer: Signer,
    proof: Proof,
}

fn http_err(what: &str, e: impl std::fmt::Display, transient: bool) -> Error {
    Error::Http { what: what.to_owned(), why: e.to_string(), transient }
}

impl Storacha {
    pub fn new(config: Config, signer: Signer, proof: Proof) -> Storacha {
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        Storacha { http, config, signer, proof }
    }

    /// The space the proof delegates.
    pub fn space(&self) -> Result<&str, Error> {
        self.proof.space().ok_or_else(|| Error::Proof("the delegation grants no capability".into()))
    }

    fn expiration(&self) -> Option<u64> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Some(now + self.config.ttl)
    }

    /// Invokes one capability; returns its receipt (verified, `Ok` only) and the message.
    fn call(
        &self,
        cap: Capability,
        delegated: bool,
        facts: Vec<Value>,
        attached: Vec<Block>,
    ) -> Result<(Receipt, Message), Error> {
        let can = cap.can.clone();
        let (proofs, exp) =
            if delegated { (vec![self.proof.cid], self.expiration()) } else { (vec![], self.expiration()) };
        let inv = invoke::invoke(&self.signer, &self.config.service_did, cap, proofs, exp, facts)?.block()?;
        let mut blocks = attached;
        if delegated {
            blocks.extend(self.proof.blocks.iter().cloned());
        }
        let body = encode_request(std::slice::from_ref(&inv), &blocks)?;
        let mut resp = self
            .http
            .post(&self.config.service_url)
            .header("content-type", CAR_TYPE)
            .header("accept", CAR_TYPE)
            .send(&body[..])
            .map_err(|e| http_err(&can, e, true))?;
        let status = resp.status().as_u16();
        let bytes = resp.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| http_err(&can, e, true))?;
        if status != 200 {
            return Err(http_err(&can, format!("HTTP {status}"), status >= 500 || status == 429));
        }
        let msg = Message::decode(&bytes)?;
        let receipt = msg.receipt(&inv.cid)?;
        self.check(&can, &receipt)?;
        Ok((receipt, msg))
    }

    /// Verifies a receipt where possible and turns an error receipt into [`Error::Failed`].
    fn check(&self, ability: &str, r: &Receipt) -> Result<(), Error> {
        if r.issuer.starts_with("did:key:") {
            r.verify(None)?;
        } else if let Some(key) = &self.config.service_key_did {
            r.verify(Some(key))?;
        }
        match r.error_text() {
            Some((name, message)) => Err(Error::Failed { ability: ability.to_owned(), name, message }),
            None => Ok(()),
        }
    }

    /// Stores one blob (a CAR shard or an index) in the space and waits until it is accepted.
    pub fn add_blob(&self, bytes: &[u8]) -> Result<BlobDigest, Error> {
        let blob = BlobDigest::of(bytes);
        let space = self.space()?.to_owned();
        let (receipt, msg) = self.call(invoke::space_blob_add(&space, &blob), true, vec![], vec![])?;
        let ok = receipt.out.as_ref().expect("checked");
        let accept = ok
            .get("site")
            .and_then(|s| s.get("ucan/await"))
            .and_then(Value::as_list)
            .and_then(|l| l.get(1))
            .and_then(Value::as_link)
            .copied()
            .ok_or_else(|| Error::malformed("space/blob/add receipt", "no site await"))?;
        if let Some(r) = msg.find_receipt(&accept) {
            return self.check("blob/accept", &r).map(|()| blob);
        }
        let task = |can: &str| {
            receipt.fork.iter().copied().find(|c| msg.invocation(c).is_ok_and(|u| u.payload.capabilities[0].can == can))
        };
        let put = task("http/put").ok_or_else(|| Error::malformed("space/blob/add receipt", "no http/put task"))?;
        let allocate =
            task("blob/allocate").ok_or_else(|| Error::malformed("space/blob/add receipt", "no allocate"))?;
        if msg.find_receipt(&put).is_none() {
            let alloc = msg.find_receipt(&allocate).ok_or(Error::MissingBlock(allocate))?;
            self.check("blob/allocate", &alloc)?;
            if let Some(address) = alloc.out.as_ref().ok().and_then(|o| o.get("address")).filter(|a| **a != Value::Null)
            {
                self.put(address, bytes)?;
            }
            let put_receipt = blob.put_receipt(put).block();
            let agent = self.signer.did().to_owned();
            let facts = invoke::ucan_conclude_facts(put_receipt.cid);
            self.call(invoke::ucan_conclude(&agent, put_receipt.cid), false, facts, vec![put_receipt])?;
        }
        self.poll_accept(&accept)?;
        Ok(blob)
    }

    /// PUTs the bytes with exactly the allocated headers.
    fn put(&self, address: &Value, bytes: &[u8]) -> Result<(), Error> {
        let url = address.get("url").and_then(Value::as_str).ok_or_else(|| Error::malformed("address", "no url"))?;
        let mut req = self.http.put(url);
        for (k, v) in address.get("headers").and_then(Value::as_map).into_iter().flatten() {
            req = req.header(k, v.as_str().unwrap_or_default());
        }
        let resp = req.send(bytes).map_err(|e| http_err("PUT", e, true))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(http_err("PUT to the storage node", format!("HTTP {status}"), status >= 500));
        }
        Ok(())
    }

    fn poll_accept(&self, accept: &Cid) -> Result<(), Error> {
        let url = format!("{}{accept}", self.config.receipts_url);
        let mut delay = Duration::from_millis(250);
        for _ in 0..self.config.polls {
            let mut resp = self.http.get(&url).call().map_err(|e| http_err("receipt", e, true))?;
            if resp.status().as_u16() == 200 {
                let mut bytes = Vec::new();
                resp.body_mut().as_reader().read_to_end(&mut bytes)?;
                let msg = Message::decode(&bytes)?;
                if let Some(r) = msg.find_receipt(accept) {
                    return self.check("blob/accept", &r);
                }
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        Err(http_err("blob/accept", format!("no receipt for {accept}"), true))
    }

    /// `space/index/add` for an index blob already stored with [`Storacha::add_blob`].
    pub fn index_add(&self, index: Cid) -> Result<(), Error> {
        self.call(invoke::space_index_add(self.space()?, index), true, vec![], vec![]).map(drop)
    }

    pub fn filecoin_offer(&self, shard: &BlobDigest, piece: Cid) -> Result<(), Error> {
        let agent = self.signer.did().to_owned();
        self.call(invoke::filecoin_offer(&agent, shard.raw_cid(), piece), false, vec![], vec![]).map(drop)
    }

    pub fn upload_add(&self, root: Cid, shards: &[Cid]) -> Result<(), Error> {
        self.call(invoke::upload_add(self.space()?, root, shards), true, vec![], vec![]).map(drop)
    }

    /// One page of `upload/list`: `{size, cursor, results: [{root, shards, …}]}`.
    pub fn upload_list(&self, cursor: Option<&str>) -> Result<Value, Error> {
        let (r, _) = self.call(invoke::upload_list(self.space()?, cursor, None), true, vec![], vec![])?;
        Ok(r.out.expect("checked"))
    }
}
