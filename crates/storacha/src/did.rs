//! DIDs as ucanto writes them: strings in the signing form, bytes in the DAG-CBOR form.
//!
//! In a UCAN's `iss`/`aud` a `did:key` is its multicodec key (`ed 01` ‖ 32-byte Ed25519 public
//! key) and any other method is `varint(0x0d1d)` (`9d 1a`) ‖ the UTF-8 DID without `did:`.

use ed25519_dalek::VerifyingKey;

use crate::error::Error;

/// Multicodec prefix of an Ed25519 public key.
pub const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix of a non-key DID in binary form.
const DID_CORE: [u8; 2] = [0x9d, 0x1a];

fn bad(did: &str, why: &str) -> Error {
    Error::Did { did: did.to_owned(), why: why.to_owned() }
}

/// `did:key:z…` of an Ed25519 public key.
pub fn did_key(key: &VerifyingKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    format!("did:key:{}", multibase::encode(multibase::Base::Base58Btc, bytes))
}

/// The Ed25519 key of a `did:key`.
pub fn parse_did_key(did: &str) -> Result<VerifyingKey, Error> {
    let rest = did.strip_prefix("did:key:").ok_or_else(|| bad(did, "not a did:key"))?;
    let (base, bytes) = multibase::decode(rest).map_err(|e| bad(did, &e.to_string()))?;
    if base != multibase::Base::Base58Btc {
        return Err(bad(did, "not base58btc"));
    }
    key_from_multicodec(&bytes).ok_or_else(|| bad(did, "not an Ed25519 key"))
}

fn key_from_multicodec(bytes: &[u8]) -> Option<VerifyingKey> {
    let key: [u8; 32] = bytes.strip_prefix(&ED25519_PUB)?.try_into().ok()?;
    VerifyingKey::from_bytes(&key).ok()
}

/// The binary form of a DID, for `iss` and `aud`.
pub fn did_to_bytes(did: &str) -> Result<Vec<u8>, Error> {
    if did.starts_with("did:key:") {
        let mut bytes = ED25519_PUB.to_vec();
        bytes.extend_from_slice(parse_did_key(did)?.as_bytes());
        return Ok(bytes);
    }
    let rest = did.strip_prefix("did:").ok_or_else(|| bad(did, "does not start with did:"))?;
    let mut bytes = DID_CORE.to_vec();
    bytes.extend_from_slice(rest.as_bytes());
    Ok(bytes)
}

/// The DID string of a binary DID.
pub fn did_from_bytes(bytes: &[u8]) -> Result<String, Error> {
    if let Some(key) = key_from_multicodec(bytes) {
        return Ok(did_key(&key));
    }
    match bytes.strip_prefix(&DID_CORE).map(std::str::from_utf8) {
        Some(Ok(rest)) => Ok(format!("did:{rest}")),
        _ => Err(bad(&format!("{bytes:02x?}"), "neither an Ed25519 did:key nor a UTF-8 DID")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_web_binary_form_is_9d1a_then_text() {
        let bytes = did_to_bytes("did:web:up.storacha.network").unwrap();
        assert_eq!(&bytes[..2], &[0x9d, 0x1a]);
        assert_eq!(&bytes[2..], b"web:up.storacha.network");
        assert_eq!(did_from_bytes(&bytes).unwrap(), "did:web:up.storacha.network");
    }

    #[test]
    fn did_key_round_trips() {
        let did = "did:key:z6MknEnZHJKBiT1e4w3ZzCXDfxgPkXMraG7hBLLBm7rMoBVk";
        let bytes = did_to_bytes(did).unwrap();
        assert_eq!(bytes.len(), 34);
        assert_eq!(did_from_bytes(&bytes).unwrap(), did);
        assert!(parse_did_key("did:key:z6MknEnZHJKBiT1e4w3ZzCXDfxgPkXMraG7hBLLBm7rMoBV").is_err());
    }
}
