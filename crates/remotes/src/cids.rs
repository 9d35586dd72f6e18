//! Reading CIDs from remotes, whatever their dialect: any multibase (js-ipfs answers CIDv1 in
//! base58btc, Kubo in base32), `{"/": "…"}` links or bare strings. CIDs are compared by
//! multihash, so the same block named in another base, or as CIDv0 vs v1, is the same block.

use cid::Cid;
use serde_json::Value;

/// The CID in `v`: a string, or a DAG-JSON link `{"/": "…"}`.
pub fn cid_in(v: &Value) -> Option<Cid> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Object(m) => m.get("/").and_then(cid_in),
        _ => None,
    }
}

/// The same block: same multihash (the codec may differ only in how a dialect reports it).
pub fn same_block(a: &Cid, b: &Cid) -> bool {
    a.hash() == b.hash()
}

/// A number given as a number or as a string (Kubo sends sizes as strings, js-ipfs as numbers).
pub fn number_in(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The JSON values of an answer that is one object or newline-delimited objects (streamed
/// endpoints such as `dag/import` and js-ipfs's `pin/ls`).
pub fn json_lines(body: &str) -> Vec<Value> {
    body.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_and_versions_compare_by_multihash() {
        let b32: Cid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi".parse().unwrap();
        let b58 = cid_in(&Value::String(b32.to_string_of_base(multibase::Base::Base58Btc).unwrap())).unwrap();
        assert!(same_block(&b32, &b58));
        let v0: Cid = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG".parse().unwrap();
        let v1 = Cid::new_v1(0x70, *v0.hash());
        assert!(same_block(&v0, &cid_in(&serde_json::json!({"/": v1.to_string()})).unwrap()));
        assert_eq!(number_in(&serde_json::json!("12")), Some(12));
        assert_eq!(number_in(&serde_json::json!(12)), Some(12));
    }
}
