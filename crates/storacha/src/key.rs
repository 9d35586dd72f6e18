//! Ed25519 principals: the agent key a user exports, keys derived from blob digests, and the
//! "varsig" wrapping of signatures that dag-ucan and ucanto use.
//!
//! `storacha key create` prints the key as multibase `M` (base64, padded) of 68 bytes:
//! `80 26` (ed25519-priv) ‖ 32-byte seed ‖ `ed 01` ‖ 32-byte public key. A signature is stored
//! as `ed a1 03` (varint 0xd0ed, EdDSA) ‖ `40` (length 64) ‖ the 64 bytes.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier};

use crate::did::{self, ED25519_PUB};
use crate::error::Error;

/// Multicodec prefix of an Ed25519 private key.
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];
/// Varsig header of an EdDSA signature: varint(0xd0ed), varint(64).
const VARSIG_EDDSA: [u8; 4] = [0xed, 0xa1, 0x03, 0x40];

/// An Ed25519 key that can sign as its `did:key`. Debug output never shows the secret.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    did: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("did", &self.did).finish_non_exhaustive()
    }
}

impl Signer {
    /// The key for a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Signer {
        let key = SigningKey::from_bytes(&seed);
        let did = did::did_key(&key.verifying_key());
        Signer { key, did }
    }

    /// Parses the KEY that `storacha key create` prints (`Mg…`). The embedded public key must
    /// match the seed, so a damaged key fails here instead of at the service.
    pub fn parse(text: &str) -> Result<Signer, Error> {
        let text = text.trim();
        let bytes = match text.as_bytes().first() {
            Some(b'M') => STANDARD.decode(&text[1..]),
            Some(b'm') => STANDARD_NO_PAD.decode(&text[1..]),
            _ => return Err(Error::Key("expected multibase base64 (starting with M or m)".into())),
        }
        .map_err(|e| Error::Key(format!("not base64: {e}")))?;
        Signer::from_key_bytes(&bytes)
    }

    fn from_key_bytes(bytes: &[u8]) -> Result<Signer, Error> {
        let rest = bytes.strip_prefix(&ED25519_PRIV).ok_or_else(|| Error::Key("not an Ed25519 private key".into()))?;
        if rest.len() != 68 - 2 {
            return Err(Error::Key(format!("{} bytes, expected 68", bytes.len())));
        }
        let signer = Signer::from_seed(rest[..32].try_into().expect("32 bytes"));
        if rest[32..34] != ED25519_PUB || rest[34..] != *signer.key.verifying_key().as_bytes() {
            return Err(Error::Key("the public key does not match the private key".into()));
        }
        Ok(signer)
    }

    /// The 68-byte multicodec form (`80 26 ‖ seed ‖ ed 01 ‖ public key`), as the `http/put`
    /// facts carry it.
    pub fn key_bytes(&self) -> Vec<u8> {
        let mut out = ED25519_PRIV.to_vec();
        out.extend_from_slice(self.key.as_bytes());
        out.extend_from_slice(&ED25519_PUB);
        out.extend_from_slice(self.key.verifying_key().as_bytes());
        out
    }

    /// The key in the form `storacha key create` prints.
    pub fn to_multibase(&self) -> String {
        format!("M{}", STANDARD.encode(self.key_bytes()))
    }

    pub fn did(&self) -> &str {
        &self.did
    }

    /// A varsig-wrapped Ed25519 signature of `message` (68 bytes).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut out = VARSIG_EDDSA.to_vec();
        out.extend_from_slice(&self.key.sign(message).to_bytes());
        out
    }
}

/// Checks a varsig-wrapped signature by the `did:key` `signer_did` over `message`.
pub fn verify(signer_did: &str, message: &[u8], varsig: &[u8]) -> Result<(), Error> {
    let bad = |why: &str| Error::Signature { issuer: signer_did.to_owned(), why: why.to_owned() };
    let key = did::parse_did_key(signer_did)?;
    let raw = varsig.strip_prefix(&VARSIG_EDDSA).ok_or_else(|| bad("not an EdDSA varsig"))?;
    let raw: [u8; 64] = raw.try_into().map_err(|_| bad("not 64 bytes"))?;
    key.verify(message, &Signature::from_bytes(&raw)).map_err(|_| bad("does not verify"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_flipped_bit_does_not() {
        let signer = Signer::from_seed([7; 32]);
        let mut sig = signer.sign(b"msg");
        assert_eq!(sig.len(), 68);
        verify(signer.did(), b"msg", &sig).unwrap();
        assert!(verify(signer.did(), b"msG", &sig).is_err());
        sig[10] ^= 1;
        assert!(verify(signer.did(), b"msg", &sig).is_err());
    }

    #[test]
    fn the_printed_key_form_round_trips() {
        let signer = Signer::from_seed([9; 32]);
        let text = signer.to_multibase();
        assert!(text.starts_with("Mg"));
        assert_eq!(Signer::parse(&text).unwrap().did(), signer.did());
        let mut bytes = signer.key_bytes();
        bytes[67] ^= 1;
        assert!(Signer::from_key_bytes(&bytes).is_err());
    }
}
