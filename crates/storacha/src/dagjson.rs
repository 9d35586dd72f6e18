//! The DAG-JSON writer that dag-ucan's JWT signing form needs.
//!
//! A 0.9.1 UCAN is stored as DAG-CBOR but signed over `base64url(header).base64url(payload)`,
//! where the payload is the DAG-JSON `@ipld/dag-json` writes. The verifier rebuilds those bytes
//! from the CBOR model, so they must match JS exactly: no whitespace, map keys in plain
//! bytewise order (not CBOR's length-first), bytes as `{"/":{"bytes":"<base64, no padding>"}}`,
//! links as `{"/":"<base32 CID>"}`, strings escaped as `JSON.stringify` does (which
//! `serde_json` matches), integers in decimal, and no floats.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::error::Error;
use crate::value::Value;

/// DAG-JSON bytes of `value`.
pub fn to_dag_json(value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    write(&mut out, value)?;
    Ok(out)
}

fn write(out: &mut String, value: &Value) -> Result<(), Error> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => return Err(Error::Json(format!("float {f} in a signed payload"))),
        Value::Bytes(b) => {
            out.push_str(r#"{"/":{"bytes":""#);
            out.push_str(&STANDARD_NO_PAD.encode(b));
            out.push_str(r#""}}"#);
        }
        Value::String(s) => string(out, s),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item)?;
            }
            out.push(']');
        }
        // A BTreeMap<String, _> iterates in bytewise key order, which is the DAG-JSON order.
        Value::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                write(out, v)?;
            }
            out.push('}');
        }
        Value::Link(cid) => {
            out.push_str(r#"{"/":""#);
            out.push_str(&cid.to_string());
            out.push_str(r#""}"#);
        }
    }
    Ok(())
}

fn string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a string always serializes"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_bytewise_and_bytes_use_unpadded_base64() {
        let v = Value::map([("bb", Value::Bytes(vec![1, 2])), ("a", Value::str("q\"\u{1}"))]);
        assert_eq!(to_dag_json(&v).unwrap(), r#"{"a":"q\"\u0001","bb":{"/":{"bytes":"AQI"}}}"#);
    }

    #[test]
    fn floats_are_refused() {
        assert!(to_dag_json(&Value::List(vec![Value::Float(1.5)])).is_err());
    }
}
