//! A blocking client of a Storacha upload service: one call per capability.
//!
//! Synchronous over `ureq`, like the rest of ipfs-kit. Receipts by `did:key` issuers (storage
//! nodes) are always verified; the service's own `did:web` receipts only when its key is
//! configured, since a client cannot otherwise learn it (the JS and Go clients check neither).
//!
//! The blob flow itself is in [`crate::upload`]; this module holds the calls.

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

/// A connection to one space on one upload service, as one agent with one proof.
///
/// Shareable between threads (`&Storacha` is `Sync`), so shards can be stored in parallel.
pub struct Storacha {
    pub(crate) http: ureq::Agent,
    /// For PUTs to storage nodes: a new connection each time. The reference storage node
    /// closes every connection after its answer, and a PUT tried first on such a pooled
    /// connection was seen sent twice; a body streamed from a reader must go out once.
    pub(crate) put_http: ureq::Agent,
    pub(crate) config: Config,
    pub(crate) signer: Signer,
    pub(crate) proof: Proof,
}

pub(crate) fn http_err(what: &str, e: impl std::fmt::Display, transient: bool) -> Error {
    Error::Http { what: what.to_owned(), why: e.to_string(), transient }
}

impl Storacha {
    pub fn new(config: Config, signer: Signer, proof: Proof) -> Storacha {
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        let put_http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(3600)))
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .build()
            .into();
        Storacha { http, put_http, config, signer, proof }
    }

    /// The space the proof delegates.
    pub fn space(&self) -> Result<&str, Error> {
        self.proof.space().ok_or_else(|| Error::Proof("the delegation grants no capability".into()))
    }

    /// The agent's DID (the key's).
    pub fn agent(&self) -> &str {
        self.signer.did()
    }

    /// The capabilities the proof delegates to the agent.
    pub fn granted(&self) -> &[Capability] {
        &self.proof.delegation.payload.capabilities
    }

    /// When the proof expires (Unix seconds), if it does.
    pub fn proof_expiration(&self) -> Option<u64> {
        self.proof.delegation.payload.expiration
    }

    fn expiration(&self) -> Option<u64> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Some(now + self.config.ttl)
    }

    /// Invokes one capability; returns its receipt (verified, `Ok` only) and the message.
    pub(crate) fn call(
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
    pub(crate) fn check(&self, ability: &str, r: &Receipt) -> Result<(), Error> {
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
