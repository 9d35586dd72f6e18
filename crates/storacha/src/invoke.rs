//! Builders for the invocations a shard upload needs. Each returns a [`Capability`];
//! [`invoke`] turns one into a signed invocation for the service.

use cid::Cid;

use crate::blob::BlobDigest;
use crate::error::Error;
use crate::key::Signer;
use crate::ucan::{Capability, Payload, Ucan};
use crate::value::Value;

/// `space/blob/add {blob: {digest, size}}`.
pub fn space_blob_add(space: &str, blob: &BlobDigest) -> Capability {
    Capability::new(space, "space/blob/add", Some(Value::map([("blob", blob.to_value())])))
}

/// `ucan/conclude {receipt}`, self-issued by the agent.
pub fn ucan_conclude(agent: &str, receipt: Cid) -> Capability {
    Capability::new(agent, "ucan/conclude", Some(Value::map([("receipt", Value::Link(receipt))])))
}

/// The facts the JS client puts on `ucan/conclude`: `[{"0": <receipt>}]`.
pub fn ucan_conclude_facts(receipt: Cid) -> Vec<Value> {
    vec![Value::map([("0", Value::Link(receipt))])]
}

/// `space/index/add {index}` (the index blob's CAR CID).
pub fn space_index_add(space: &str, index: Cid) -> Capability {
    Capability::new(space, "space/index/add", Some(Value::map([("index", Value::Link(index))])))
}

/// `filecoin/offer {content, piece}`, self-issued by the agent as the JS client does.
pub fn filecoin_offer(agent: &str, content: Cid, piece: Cid) -> Capability {
    let nb = Value::map([("content", Value::Link(content)), ("piece", Value::Link(piece))]);
    Capability::new(agent, "filecoin/offer", Some(nb))
}

/// `upload/add {root, shards}`.
pub fn upload_add(space: &str, root: Cid, shards: &[Cid]) -> Capability {
    let shards = Value::List(shards.iter().copied().map(Value::Link).collect());
    Capability::new(space, "upload/add", Some(Value::map([("root", Value::Link(root)), ("shards", shards)])))
}

/// `upload/list {}` (optionally `{cursor, size}`).
pub fn upload_list(space: &str, cursor: Option<&str>, size: Option<u64>) -> Capability {
    let mut nb = Value::map::<String>([]);
    if let Value::Map(m) = &mut nb {
        if let Some(c) = cursor {
            m.insert("cursor".into(), Value::str(c));
        }
        if let Some(s) = size {
            m.insert("size".into(), Value::Int(s.into()));
        }
    }
    Capability::new(space, "upload/list", Some(nb))
}

/// Signs one capability as an invocation from `signer` to `audience` (the service DID).
pub fn invoke(
    signer: &Signer,
    audience: &str,
    capability: Capability,
    proofs: Vec<Cid>,
    expiration: Option<u64>,
    facts: Vec<Value>,
) -> Result<Ucan, Error> {
    Payload {
        issuer: signer.did().to_owned(),
        audience: audience.to_owned(),
        capabilities: vec![capability],
        expiration,
        not_before: None,
        nonce: None,
        facts,
        proofs,
    }
    .sign(signer)
}
