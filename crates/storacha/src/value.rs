//! The IPLD data model, as far as ucanto uses it, and its DAG-CBOR encoding.
//!
//! Every UCAN, receipt and message is a DAG-CBOR block whose CID the service recomputes, so the
//! encoder must produce the one canonical byte string: map keys sorted length-first then
//! bytewise, minimal integer heads, links as tag 42 over `0x00 ‖ CID`. The CBOR items
//! themselves are read and written by `cbor4ii` (already the CBOR core of `ipfs-kit-ipld`);
//! this module only maps them onto [`Value`] and enforces the DAG-CBOR rules on top.
//!
//! Map keys are strings, so a `BTreeMap<String, Value>` holds a map; the canonical order is
//! applied when encoding, never stored.

use std::collections::BTreeMap;

use cbor4ii::core::Value as Cbor;
use cbor4ii::core::dec::Decode;
use cbor4ii::core::enc::Encode;
use cbor4ii::core::utils::{BufWriter, SliceReader};
use cid::Cid;
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The multicodec of DAG-CBOR.
pub const DAG_CBOR: u64 = 0x71;
/// The multicodec of sha2-256.
pub const SHA2_256: u64 = 0x12;

/// CBOR tag of an IPLD link.
const TAG_CID: u64 = 42;

/// One IPLD value. Floats are kept so that a response holding one still decodes, but ucanto
/// never sends them and the DAG-JSON signing form refuses them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Bytes(Vec<u8>),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Link(Cid),
}

impl Value {
    /// A map from `(key, value)` pairs.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// The field `key` of a map, if this is a map and has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_link(&self) -> Option<&Cid> {
        match self {
            Value::Link(c) => Some(c),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Canonical DAG-CBOR bytes.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = BufWriter::new(Vec::new());
        // Writing into a Vec cannot fail.
        to_cbor4ii(self).encode(&mut out).expect("encoding into memory");
        out.into_inner()
    }

    /// Decodes one DAG-CBOR item that must span all of `bytes`.
    pub fn from_cbor(bytes: &[u8]) -> Result<Value, Error> {
        let mut reader = SliceReader::new(bytes);
        let item = Cbor::decode(&mut reader).map_err(|e| Error::Cbor(format!("{e:?}")))?;
        let value = from_cbor4ii(item)?;
        // Re-encoding is the strictest check of canonical form and of trailing bytes alike.
        if value.to_cbor() != bytes {
            return Err(Error::Cbor("not canonical DAG-CBOR (re-encoding differs)".into()));
        }
        Ok(value)
    }
}

/// A DAG-CBOR block: bytes and their CIDv1 (dag-cbor, sha2-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub cid: Cid,
    pub bytes: Vec<u8>,
}

impl Block {
    /// Encodes `value` and computes its CID.
    pub fn encode(value: &Value) -> Block {
        let bytes = value.to_cbor();
        Block { cid: dag_cbor_cid(&bytes), bytes }
    }
}

/// CIDv1 dag-cbor sha2-256 of `bytes`.
pub fn dag_cbor_cid(bytes: &[u8]) -> Cid {
    Cid::new_v1(DAG_CBOR, sha256_multihash(&Sha256::digest(bytes).into()))
}

/// The sha2-256 multihash of a 32-byte digest.
pub fn sha256_multihash(digest: &[u8; 32]) -> Multihash<64> {
    Multihash::wrap(SHA2_256, digest).expect("32 bytes fit in 64")
}

/// Length-first, then bytewise: RFC 7049 canonical order, which DAG-CBOR requires.
fn canonical_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn to_cbor4ii(value: &Value) -> Cbor {
    match value {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Int(i) => Cbor::Integer(*i),
        Value::Float(f) => Cbor::Float(*f),
        Value::Bytes(b) => Cbor::Bytes(b.clone()),
        Value::String(s) => Cbor::Text(s.clone()),
        Value::List(l) => Cbor::Array(l.iter().map(to_cbor4ii).collect()),
        Value::Map(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| canonical_order(a.0, b.0));
            Cbor::Map(entries.into_iter().map(|(k, v)| (Cbor::Text(k.clone()), to_cbor4ii(v))).collect())
        }
        Value::Link(cid) => {
            let mut bytes = vec![0];
            bytes.extend(cid.to_bytes());
            Cbor::Tag(TAG_CID, Box::new(Cbor::Bytes(bytes)))
        }
    }
}

fn from_cbor4ii(item: Cbor) -> Result<Value, Error> {
    Ok(match item {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Integer(i) => Value::Int(i),
        Cbor::Float(f) => Value::Float(f),
        Cbor::Bytes(b) => Value::Bytes(b),
        Cbor::Text(s) => Value::String(s),
        Cbor::Array(l) => Value::List(l.into_iter().map(from_cbor4ii).collect::<Result<_, _>>()?),
        Cbor::Map(entries) => {
            let mut map = BTreeMap::new();
            for (k, v) in entries {
                let Cbor::Text(k) = k else { return Err(Error::Cbor("a map key that is not a string".into())) };
                if map.insert(k, from_cbor4ii(v)?).is_some() {
                    return Err(Error::Cbor("a duplicate map key".into()));
                }
            }
            Value::Map(map)
        }
        Cbor::Tag(TAG_CID, inner) => match *inner {
            Cbor::Bytes(b) if b.first() == Some(&0) => {
                Value::Link(Cid::try_from(&b[1..]).map_err(|e| Error::Cbor(format!("a bad link: {e}")))?)
            }
            _ => return Err(Error::Cbor("tag 42 over something that is not 0x00 ‖ CID".into())),
        },
        Cbor::Tag(tag, _) => return Err(Error::Cbor(format!("tag {tag} is not DAG-CBOR"))),
        other => return Err(Error::Cbor(format!("{other:?} is not DAG-CBOR"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keys_are_ordered_length_first() {
        let v = Value::map([("bb", Value::Int(1)), ("a", Value::Int(2)), ("ab", Value::Int(3))]);
        // {"a": 2, "ab": 3, "bb": 1}
        assert_eq!(v.to_cbor(), [0xa3, 0x61, b'a', 2, 0x62, b'a', b'b', 3, 0x62, b'b', b'b', 1]);
    }

    #[test]
    fn links_round_trip_as_tag_42() {
        let cid = dag_cbor_cid(b"x");
        let bytes = Value::Link(cid).to_cbor();
        assert_eq!(&bytes[..2], &[0xd8, 0x2a]);
        assert_eq!(Value::from_cbor(&bytes).unwrap(), Value::Link(cid));
    }

    #[test]
    fn non_canonical_input_is_refused() {
        // {"bb": 1, "a": 2}: keys out of order.
        let bytes = [0xa2, 0x62, b'b', b'b', 1, 0x61, b'a', 2];
        assert!(Value::from_cbor(&bytes).is_err());
        // 1 written with a one-byte head extension.
        assert!(Value::from_cbor(&[0x18, 0x01]).is_err());
        // Trailing bytes.
        assert!(Value::from_cbor(&[0x01, 0x01]).is_err());
    }
}
