//! dag-ucan 0.9.1 tokens (delegations and invocations alike) in their DAG-CBOR form.
//!
//! The block is `{s, v, att, aud, exp, fct?, iss, nnc?, nbf?, prf}` with binary DIDs, but the
//! signature covers the JWT rendering `base64url(header) "." base64url(DAG-JSON payload)`,
//! where the payload holds DID strings and CID strings (see [`crate::dagjson`]). So a token is
//! kept as its fields, and both forms are derived from them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cid::Cid;

use crate::dagjson::to_dag_json;
use crate::did::{did_from_bytes, did_to_bytes};
use crate::error::Error;
use crate::key::{self, Signer};
use crate::value::{Block, Value};

/// The UCAN version ucanto speaks.
pub const VERSION: &str = "0.9.1";
/// The JWT header, byte for byte as dag-ucan writes it.
const HEADER: &str = r#"{"alg":"EdDSA","typ":"JWT","ucv":"0.9.1"}"#;

/// One capability: `{with, can, nb?}`. `nb` is kept as given (ucanto leaves it out when empty,
/// but some clients send `{}`, and the CID depends on which).
#[derive(Debug, Clone, PartialEq)]
pub struct Capability {
    pub with: String,
    pub can: String,
    pub nb: Option<Value>,
}

impl Capability {
    pub fn new(with: impl Into<String>, can: impl Into<String>, nb: Option<Value>) -> Capability {
        Capability { with: with.into(), can: can.into(), nb }
    }

    fn to_value(&self) -> Value {
        let mut m = Value::map([("with", Value::str(&self.with)), ("can", Value::str(&self.can))]);
        if let (Value::Map(m), Some(nb)) = (&mut m, &self.nb) {
            m.insert("nb".into(), nb.clone());
        }
        m
    }

    fn from_value(v: &Value) -> Result<Capability, Error> {
        let field = |k| v.get(k).and_then(Value::as_str).ok_or_else(|| Error::malformed("capability", k));
        Ok(Capability { with: field("with")?.to_owned(), can: field("can")?.to_owned(), nb: v.get("nb").cloned() })
    }
}

/// A UCAN's fields, without the signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub issuer: String,
    pub audience: String,
    pub capabilities: Vec<Capability>,
    /// Unix seconds; `None` is JS `Infinity`, written as `null`.
    pub expiration: Option<u64>,
    pub not_before: Option<u64>,
    pub nonce: Option<String>,
    pub facts: Vec<Value>,
    pub proofs: Vec<Cid>,
}

/// A signed UCAN.
#[derive(Debug, Clone, PartialEq)]
pub struct Ucan {
    pub payload: Payload,
    /// Varsig bytes (68 for EdDSA).
    pub signature: Vec<u8>,
}

impl Payload {
    /// The string that is signed: `base64url(HEADER).base64url(DAG-JSON payload)`.
    pub fn signing_input(&self) -> Result<String, Error> {
        let mut m = Value::map([
            ("iss", Value::str(&self.issuer)),
            ("aud", Value::str(&self.audience)),
            ("att", Value::List(self.capabilities.iter().map(Capability::to_value).collect())),
            ("exp", self.expiration.map_or(Value::Null, |e| Value::Int(e.into()))),
            ("prf", Value::List(self.proofs.iter().map(|c| Value::String(c.to_string())).collect())),
        ]);
        self.optional_fields(&mut m);
        let json = to_dag_json(&m)?;
        Ok(format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(json)))
    }

    /// `fct`, `nnc` and `nbf` appear only when set (and `fct` only when non-empty).
    fn optional_fields(&self, m: &mut Value) {
        let Value::Map(m) = m else { unreachable!() };
        if !self.facts.is_empty() {
            m.insert("fct".into(), Value::List(self.facts.clone()));
        }
        if let Some(nonce) = self.nonce.as_ref().filter(|n| !n.is_empty()) {
            m.insert("nnc".into(), Value::str(nonce));
        }
        if let Some(nbf) = self.not_before {
            m.insert("nbf".into(), Value::Int(nbf.into()));
        }
    }

    /// Signs the payload as `signer`, which must be its issuer.
    pub fn sign(self, signer: &Signer) -> Result<Ucan, Error> {
        if signer.did() != self.issuer {
            return Err(Error::Key(format!("{} cannot sign for issuer {}", signer.did(), self.issuer)));
        }
        let signature = signer.sign(self.signing_input()?.as_bytes());
        Ok(Ucan { payload: self, signature })
    }
}

impl Ucan {
    /// The DAG-CBOR model of the token.
    pub fn to_value(&self) -> Result<Value, Error> {
        let p = &self.payload;
        let mut m = Value::map([
            ("v", Value::str(VERSION)),
            ("iss", Value::Bytes(did_to_bytes(&p.issuer)?)),
            ("aud", Value::Bytes(did_to_bytes(&p.audience)?)),
            ("att", Value::List(p.capabilities.iter().map(Capability::to_value).collect())),
            ("exp", p.expiration.map_or(Value::Null, |e| Value::Int(e.into()))),
            ("prf", Value::List(p.proofs.iter().copied().map(Value::Link).collect())),
            ("s", Value::Bytes(self.signature.clone())),
        ]);
        p.optional_fields(&mut m);
        Ok(m)
    }

    /// The token's block (CIDv1 dag-cbor sha2-256).
    pub fn block(&self) -> Result<Block, Error> {
        Ok(Block::encode(&self.to_value()?))
    }

    /// Reads a token from its DAG-CBOR model.
    pub fn from_value(v: &Value) -> Result<Ucan, Error> {
        let bad = |why: &str| Error::malformed("UCAN", why);
        if v.get("v").and_then(Value::as_str) != Some(VERSION) {
            return Err(bad("not version 0.9.1"));
        }
        let did = |k| v.get(k).and_then(Value::as_bytes).ok_or_else(|| bad(k)).and_then(did_from_bytes);
        let list = |k| v.get(k).and_then(Value::as_list).ok_or_else(|| bad(k));
        let uint = |x: &Value| x.as_int().and_then(|i| u64::try_from(i).ok()).ok_or_else(|| bad("a time"));
        let payload = Payload {
            issuer: did("iss")?,
            audience: did("aud")?,
            capabilities: list("att")?.iter().map(Capability::from_value).collect::<Result<_, _>>()?,
            expiration: match v.get("exp").ok_or_else(|| bad("exp"))? {
                Value::Null => None,
                x => Some(uint(x)?),
            },
            not_before: v.get("nbf").map(uint).transpose()?,
            nonce: v.get("nnc").map(|n| n.as_str().map(str::to_owned).ok_or_else(|| bad("nnc"))).transpose()?,
            facts: v.get("fct").map(|_| list("fct")).transpose()?.unwrap_or_default().to_vec(),
            proofs: list("prf")?
                .iter()
                .map(|l| l.as_link().copied().ok_or_else(|| bad("prf")))
                .collect::<Result<_, _>>()?,
        };
        let signature = v.get("s").and_then(Value::as_bytes).ok_or_else(|| bad("s"))?.to_vec();
        Ok(Ucan { payload, signature })
    }

    /// Decodes a token block.
    pub fn decode(bytes: &[u8]) -> Result<Ucan, Error> {
        Ucan::from_value(&Value::from_cbor(bytes)?)
    }

    /// Checks the signature against the issuer's `did:key`, or against `key_did` when the
    /// issuer is another method (a `did:web` service signs with a key learnt out of band).
    pub fn verify(&self, key_did: Option<&str>) -> Result<(), Error> {
        let signer = key_did.unwrap_or(&self.payload.issuer);
        key::verify(signer, self.payload.signing_input()?.as_bytes(), &self.signature)
    }
}
