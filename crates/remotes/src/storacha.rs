//! A Storacha space as a remote: the settings (`remote add NAME storacha`), the client they
//! open, `remote check` and `remote ls` (`upload/list`).
//!
//! The agent key and the delegation are exactly what the official tooling exports (`storacha
//! key create`, `storacha delegation create … --base64` or `-o proof.car`), so a user needs no
//! JS at all after that. Both are checked when the remote is added: the key parses, the proof
//! parses, and the proof is delegated *to that key*, so a mismatch fails at `remote add`, not
//! in the middle of a push.

use std::path::Path;

use base64::Engine;
use cid::Cid;
use ipfs_kit_storacha::{Config, Proof, Signer, Storacha, Value};

use crate::error::RemoteError;
use crate::remote::{CheckReport, Confirmation, Remote};

/// The production upload service.
pub const SERVICE_URL: &str = "https://up.storacha.network";
pub const SERVICE_DID: &str = "did:web:up.storacha.network";
pub const RECEIPTS_URL: &str = "https://up.storacha.network/receipt/";
/// The public retrieval gateway the JS client links to.
pub const GATEWAY: &str = "https://storacha.link";

/// A proof as given to `remote add`: the path of a CAR file, or the `--base64` text.
/// A file is kept as base64 of its bytes (which [`Proof::parse`] reads back), so the remotes
/// file never points at a file that may move.
pub fn proof_text(arg: &str) -> Result<String, RemoteError> {
    let path = Path::new(arg);
    if !arg.starts_with('m') && path.is_file() {
        let bytes = std::fs::read(path).map_err(RemoteError::io(path.display()))?;
        return Ok(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    Ok(arg.trim().to_owned())
}

/// Parses and cross-checks a key and a proof; returns the space the proof is for.
pub fn check_credentials(key: &str, proof: &str) -> Result<(Signer, Proof, String), RemoteError> {
    let invalid = |what: &str, e: ipfs_kit_storacha::Error| RemoteError::Invalid(format!("{what}: {e}"));
    let signer = Signer::parse(key.trim()).map_err(|e| invalid("--key", e))?;
    let proof = Proof::parse(proof.as_bytes()).map_err(|e| invalid("--proof", e))?;
    let audience = &proof.delegation.payload.audience;
    if audience != signer.did() {
        return Err(RemoteError::Invalid(format!(
            "--proof delegates to {audience}, not to the key's {} (make it with `storacha delegation create {}`)",
            signer.did(),
            signer.did()
        )));
    }
    expiry(proof.delegation.payload.expiration)?;
    let space = proof
        .space()
        .ok_or_else(|| RemoteError::Invalid("--proof: the delegation grants no capability".into()))?
        .to_owned();
    Ok((signer, proof, space))
}

/// What a push needs delegated (`filecoin/offer` is invoked on the agent's own DID) and
/// `remote ls` too: the list `storacha delegation create` should get.
pub const ABILITIES: [&str; 5] = ["space/blob/add", "space/index/add", "filecoin/offer", "upload/add", "upload/list"];

/// The abilities a push needs that the proof does not grant on its space. A pattern like
/// `space/*` or `*` grants every ability under it, as ucanto reads it.
pub fn missing_abilities(client: &Storacha) -> Vec<&'static str> {
    let space = client.space().unwrap_or_default();
    let grants = |ability: &str| {
        client.granted().iter().any(|c| {
            c.with == space
                && (c.can == "*" || c.can == ability || c.can.strip_suffix('*').is_some_and(|p| ability.starts_with(p)))
        })
    };
    ["space/blob/add", "space/index/add", "upload/add"].into_iter().filter(|a| !grants(a)).collect()
}

/// An expired proof, told before anything is sent: the service would refuse every call with
/// a long capability dump, after the shards had been hashed.
pub fn expiry(expiration: Option<u64>) -> Result<(), RemoteError> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    match expiration {
        Some(exp) if exp <= now => Err(RemoteError::Invalid(format!(
            "the proof expired {}s ago (at Unix time {exp}); make a new one with `storacha delegation create`",
            now - exp
        ))),
        _ => Ok(()),
    }
}

/// The settings of a Storacha remote that reach the service.
#[derive(Debug, Clone)]
pub struct Endpoint<'a> {
    pub service_url: &'a str,
    pub service_did: &'a str,
    pub receipts_url: &'a str,
}

/// Opens a client for the space the proof is for.
pub fn client(endpoint: &Endpoint<'_>, key: &str, proof: &str) -> Result<Storacha, RemoteError> {
    let (signer, proof, _) = check_credentials(key, proof)?;
    let config = Config {
        service_url: endpoint.service_url.to_owned(),
        service_did: endpoint.service_did.to_owned(),
        receipts_url: endpoint.receipts_url.to_owned(),
        ..Config::default()
    };
    Ok(Storacha::new(config, signer, proof))
}

/// A client error in the remotes' terms: transient faults stay retryable, and an error
/// receipt (unauthorized, no space left) is a permanent refusal naming its cause.
pub fn remote_error(what: &str, e: ipfs_kit_storacha::Error) -> RemoteError {
    // An error receipt names its ability already ("upload/add failed: Unauthorized: …").
    let what = if matches!(e, ipfs_kit_storacha::Error::Failed { .. }) { "storacha" } else { what };
    RemoteError::Storacha { what: what.to_owned(), transient: e.is_transient(), source: e }
}

/// One upload in the space: its root and its shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub root: Cid,
    pub shards: Vec<Cid>,
    pub inserted_at: Option<String>,
}

/// Every upload in the space (`upload/list`, all pages).
pub fn uploads(client: &Storacha) -> Result<Vec<Upload>, RemoteError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client.upload_list(cursor.as_deref()).map_err(|e| remote_error("upload/list", e))?;
        let results = page.get("results").and_then(Value::as_list).unwrap_or_default();
        for r in results {
            let Some(root) = r.get("root").and_then(Value::as_link).copied() else { continue };
            let shards = r.get("shards").and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_link);
            let inserted_at = r.get("insertedAt").and_then(Value::as_str).map(str::to_owned);
            out.push(Upload { root, shards: shards.copied().collect(), inserted_at });
        }
        let next = page.get("cursor").and_then(Value::as_str).map(str::to_owned);
        if results.is_empty() || next.is_none() || next == cursor {
            return Ok(out);
        }
        cursor = next;
    }
}

/// `remote check` and status confirmation for a Storacha remote.
pub struct StorachaRemote {
    name: String,
    client: Result<Storacha, String>,
}

impl StorachaRemote {
    pub fn new(name: &str, endpoint: &Endpoint<'_>, key: &str, proof: &str) -> Self {
        StorachaRemote { name: name.to_owned(), client: client(endpoint, key, proof).map_err(|e| e.to_string()) }
    }

    fn client(&self) -> Result<&Storacha, RemoteError> {
        self.client.as_ref().map_err(|e| RemoteError::Invalid(format!("remote {:?}: {e}", self.name)))
    }
}

impl Remote for StorachaRemote {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "storacha"
    }

    /// One `upload/list` call: the service answers, takes the signature and the proof.
    fn check(&self) -> Result<CheckReport, RemoteError> {
        let client = self.client()?;
        let page = client.upload_list(None).map_err(|e| remote_error("upload/list", e))?;
        let space = client.space().map_err(|e| remote_error("proof", e))?;
        let exp = client.proof_expiration();
        let n = page.get("results").and_then(Value::as_list).map_or(0, <[Value]>::len);
        let expires = exp.map_or_else(|| "never expires".to_owned(), |t| format!("expires at {t} (Unix time)"));
        Ok(CheckReport {
            version: None,
            detail: format!("space {space}: upload/list answered ({n} on the first page); the proof {expires}"),
        })
    }

    /// Listed by `upload/list` means `upload/add` succeeded for that root.
    fn confirm(&self, root: &Cid) -> Result<Option<Confirmation>, RemoteError> {
        let found = uploads(self.client()?)?.into_iter().find(|u| u.root == *root);
        Ok(found.map(|u| Confirmation {
            status: "uploaded".into(),
            seen: format!("upload/list: {} shards", u.shards.len()),
            request_id: None,
        }))
    }
}
