//! ucanto receipts: `{ocm: {ran, out, fx, meta, iss, prf}, sig}`.
//!
//! Unlike a UCAN, a receipt is signed over DAG-CBOR(`ocm`) itself, and its `iss` is a DID
//! *string*. The service's own receipts are issued as its `did:web` but signed by a `did:key`
//! learnt out of band; storage nodes and the `http/put` key sign as their `did:key`.

use cid::Cid;

use crate::error::Error;
use crate::key::{self, Signer};
use crate::value::{Block, Value};

/// A receipt's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The task (invocation) this is the result of.
    pub ran: Cid,
    /// `Ok(value)` for `{ok}`, `Err(value)` for `{error}`.
    pub out: Result<Value, Value>,
    pub fork: Vec<Cid>,
    pub join: Option<Cid>,
    pub meta: Value,
    pub issuer: String,
    pub proofs: Vec<Cid>,
    pub signature: Vec<u8>,
}

impl Receipt {
    /// Issues a receipt for `ran` with result `ok`, no effects and no proofs, as the JS
    /// client's `http/put` receipt is.
    pub fn issue(signer: &Signer, ran: Cid, ok: Value) -> Receipt {
        let mut r = Receipt {
            ran,
            out: Ok(ok),
            fork: Vec::new(),
            join: None,
            meta: Value::map::<String>([]),
            issuer: signer.did().to_owned(),
            proofs: Vec::new(),
            signature: Vec::new(),
        };
        r.signature = signer.sign(&r.ocm().to_cbor());
        r
    }

    /// The signed part.
    pub fn ocm(&self) -> Value {
        let out = match &self.out {
            Ok(v) => Value::map([("ok", v.clone())]),
            Err(v) => Value::map([("error", v.clone())]),
        };
        let mut fx = Value::map([("fork", Value::List(self.fork.iter().copied().map(Value::Link).collect()))]);
        if let (Value::Map(m), Some(join)) = (&mut fx, self.join) {
            m.insert("join".into(), Value::Link(join));
        }
        Value::map([
            ("ran", Value::Link(self.ran)),
            ("out", out),
            ("fx", fx),
            ("meta", self.meta.clone()),
            ("iss", Value::str(&self.issuer)),
            ("prf", Value::List(self.proofs.iter().copied().map(Value::Link).collect())),
        ])
    }

    pub fn block(&self) -> Block {
        Block::encode(&Value::map([("ocm", self.ocm()), ("sig", Value::Bytes(self.signature.clone()))]))
    }

    pub fn decode(bytes: &[u8]) -> Result<Receipt, Error> {
        let v = Value::from_cbor(bytes)?;
        let bad = |why: &str| Error::malformed("receipt", why);
        let ocm = v.get("ocm").ok_or_else(|| bad("no ocm"))?;
        let links = |x: Option<&Value>| -> Result<Vec<Cid>, Error> {
            x.and_then(Value::as_list)
                .ok_or_else(|| bad("a link list"))?
                .iter()
                .map(|l| l.as_link().copied().ok_or_else(|| bad("a link")))
                .collect()
        };
        let out = ocm.get("out").ok_or_else(|| bad("no out"))?;
        let out = match (out.get("ok"), out.get("error")) {
            (Some(ok), None) => Ok(ok.clone()),
            (None, Some(err)) => Err(err.clone()),
            _ => return Err(bad("out is neither ok nor error")),
        };
        let fx = ocm.get("fx").ok_or_else(|| bad("no fx"))?;
        Ok(Receipt {
            ran: ocm.get("ran").and_then(Value::as_link).copied().ok_or_else(|| bad("ran"))?,
            out,
            fork: links(fx.get("fork"))?,
            join: fx.get("join").map(|j| j.as_link().copied().ok_or_else(|| bad("join"))).transpose()?,
            meta: ocm.get("meta").cloned().ok_or_else(|| bad("meta"))?,
            issuer: ocm.get("iss").and_then(Value::as_str).ok_or_else(|| bad("iss"))?.to_owned(),
            proofs: links(ocm.get("prf"))?,
            signature: v.get("sig").and_then(Value::as_bytes).ok_or_else(|| bad("sig"))?.to_vec(),
        })
    }

    /// Checks the signature by the issuer's `did:key`, or by `key_did` for a `did:web` issuer.
    pub fn verify(&self, key_did: Option<&str>) -> Result<(), Error> {
        key::verify(key_did.unwrap_or(&self.issuer), &self.ocm().to_cbor(), &self.signature)
    }

    /// The error's `name` and `message`, for an error receipt.
    pub fn error_text(&self) -> Option<(String, String)> {
        let err = self.out.as_ref().err()?;
        let text = |k| err.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        Some((text("name"), text("message")))
    }
}
