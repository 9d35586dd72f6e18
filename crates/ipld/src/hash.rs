//! The multihash table: which hash functions a block can be verified with, and their names.
//!
//! A block is only ever handed on once its bytes hash to the digest its CID names. The table
//! covers what IPFS, Filecoin and IPLD tools write: sha2-256 (IPFS, ipfs-car, this project),
//! sha2-512, sha3-224/256/384/512, keccak-224/256/384/512 (Ethereum), blake2b-8 … blake2b-512
//! (every length: Filecoin's CIDs are blake2b-256), blake2s-8 … blake2s-256, blake3 (any
//! digest length up to 64 bytes, as its output is extendable) and identity (the "digest" is the
//! data). A sha2 or sha3 digest shorter than the function's output (a truncated multihash) is
//! refused, as is any other function: a caller iterating blocks from an untrusted source must be
//! able to rely on every block it receives, so "cannot check" never passes as "checked".
//!
//! Digests are computed into a stack buffer, so verifying costs no allocation.

use cid::Cid;
use multihash::Multihash;
use sha2::Digest as _;

/// Multihash code of the identity "hash" (the digest is the data itself).
pub const IDENTITY: u64 = 0x00;
pub const SHA2_256: u64 = 0x12;
pub const SHA2_512: u64 = 0x13;
pub const SHA3_512: u64 = 0x14;
pub const SHA3_384: u64 = 0x15;
pub const SHA3_256: u64 = 0x16;
pub const SHA3_224: u64 = 0x17;
pub const KECCAK_224: u64 = 0x1a;
pub const KECCAK_256: u64 = 0x1b;
pub const KECCAK_384: u64 = 0x1c;
pub const KECCAK_512: u64 = 0x1d;
pub const BLAKE3: u64 = 0x1e;
pub const SHA2_384: u64 = 0x20;
/// blake2b-8: the blake2b codes run from here (1-byte digest) to [`BLAKE2B_512`] (64 bytes).
pub const BLAKE2B_MIN: u64 = 0xb201;
/// blake2b-256, the hash of Filecoin's CIDs.
pub const BLAKE2B_256: u64 = 0xb220;
pub const BLAKE2B_512: u64 = 0xb240;
/// blake2s-8: the blake2s codes run from here (1 byte) to [`BLAKE2S_256`] (32 bytes).
pub const BLAKE2S_MIN: u64 = 0xb241;
pub const BLAKE2S_256: u64 = 0xb260;

/// Why a block's bytes were not accepted for its multihash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The data does not hash to the digest.
    Digest,
    /// The hash function (or this digest length of it) is not in the table.
    Unsupported { code: u64, size: u8 },
}

/// The largest digest any function in the table produces.
const MAX_DIGEST: usize = 64;

/// Hashes `data` with the function `code`, producing a `size`-byte digest, into `out`.
/// `None` when the table has no such function or length.
fn compute(code: u64, size: usize, data: &[u8], out: &mut [u8; MAX_DIGEST]) -> Option<()> {
    let fixed =
        |digest: &[u8], out: &mut [u8; MAX_DIGEST]| (digest.len() == size).then(|| out[..size].copy_from_slice(digest));
    match code {
        SHA2_256 => fixed(&sha2::Sha256::digest(data), out),
        SHA2_384 => fixed(&sha2::Sha384::digest(data), out),
        SHA2_512 => fixed(&sha2::Sha512::digest(data), out),
        SHA3_224 => fixed(&sha3::Sha3_224::digest(data), out),
        SHA3_256 => fixed(&sha3::Sha3_256::digest(data), out),
        SHA3_384 => fixed(&sha3::Sha3_384::digest(data), out),
        SHA3_512 => fixed(&sha3::Sha3_512::digest(data), out),
        KECCAK_224 => fixed(&sha3::Keccak224::digest(data), out),
        KECCAK_256 => fixed(&sha3::Keccak256::digest(data), out),
        KECCAK_384 => fixed(&sha3::Keccak384::digest(data), out),
        KECCAK_512 => fixed(&sha3::Keccak512::digest(data), out),
        BLAKE3 if (1..=MAX_DIGEST).contains(&size) => {
            let mut hasher = blake3::Hasher::new();
            hasher.update(data);
            hasher.finalize_xof().fill(&mut out[..size]);
            Some(())
        }
        BLAKE2B_MIN..=BLAKE2B_512 if size as u64 == code - BLAKE2B_MIN + 1 => {
            let hash = blake2b_simd::Params::new().hash_length(size).hash(data);
            fixed(hash.as_bytes(), out)
        }
        BLAKE2S_MIN..=BLAKE2S_256 if size as u64 == code - BLAKE2S_MIN + 1 => {
            let hash = blake2s_simd::Params::new().hash_length(size).hash(data);
            fixed(hash.as_bytes(), out)
        }
        _ => None,
    }
}

/// Whether `data` hashes to `mh`.
pub fn verify_multihash(mh: &Multihash<64>, data: &[u8]) -> Result<(), Mismatch> {
    let (code, size) = (mh.code(), mh.size());
    if code == IDENTITY {
        return if mh.digest() == data { Ok(()) } else { Err(Mismatch::Digest) };
    }
    let mut out = [0u8; MAX_DIGEST];
    compute(code, usize::from(size), data, &mut out).ok_or(Mismatch::Unsupported { code, size })?;
    if out[..usize::from(size)] == *mh.digest() { Ok(()) } else { Err(Mismatch::Digest) }
}

/// Whether `data` is the block `cid` names.
pub fn verify(cid: &Cid, data: &[u8]) -> Result<(), Mismatch> {
    verify_multihash(cid.hash(), data)
}

/// Whether `data` hashes to the multihash in its binary form `mh` (how the block store keys
/// blocks). Bytes that are not a multihash are a [`Mismatch::Digest`].
pub fn verify_multihash_bytes(mh: &[u8], data: &[u8]) -> Result<(), Mismatch> {
    let parsed = Multihash::<64>::from_bytes(mh).map_err(|_| Mismatch::Digest)?;
    verify_multihash(&parsed, data)
}

/// The multihash of `data` under `code` with that function's usual digest length (32 bytes
/// for blake3; the length the code names for blake2b/blake2s). `None` for a code not in the
/// table and for identity (whose "digest" is the data: wrap it yourself).
pub fn multihash(code: u64, data: &[u8]) -> Option<Multihash<64>> {
    let size = match code {
        SHA2_256 | SHA3_256 | KECCAK_256 | BLAKE3 => 32,
        SHA2_384 | SHA3_384 | KECCAK_384 => 48,
        SHA2_512 | SHA3_512 | KECCAK_512 => 64,
        SHA3_224 | KECCAK_224 => 28,
        BLAKE2B_MIN..=BLAKE2B_512 => (code - BLAKE2B_MIN + 1) as usize,
        BLAKE2S_MIN..=BLAKE2S_256 => (code - BLAKE2S_MIN + 1) as usize,
        _ => return None,
    };
    let mut out = [0u8; MAX_DIGEST];
    compute(code, size, data, &mut out)?;
    Multihash::wrap(code, &out[..size]).ok()
}

/// The multihash table's name for `code` (`sha2-256`, `blake2b-256`, …), or its hex code for
/// one not in the table.
pub fn hash_name(code: u64) -> String {
    let name = match code {
        IDENTITY => "identity",
        SHA2_256 => "sha2-256",
        SHA2_384 => "sha2-384",
        SHA2_512 => "sha2-512",
        SHA3_224 => "sha3-224",
        SHA3_256 => "sha3-256",
        SHA3_384 => "sha3-384",
        SHA3_512 => "sha3-512",
        KECCAK_224 => "keccak-224",
        KECCAK_256 => "keccak-256",
        KECCAK_384 => "keccak-384",
        KECCAK_512 => "keccak-512",
        BLAKE3 => "blake3",
        0x1012 => "sha2-256-trunc254-padded",
        0x11 => "sha1",
        0xd5 => "md5",
        BLAKE2B_MIN..=BLAKE2B_512 => return format!("blake2b-{}", (code - BLAKE2B_MIN + 1) * 8),
        BLAKE2S_MIN..=BLAKE2S_256 => return format!("blake2s-{}", (code - BLAKE2S_MIN + 1) * 8),
        _ => return format!("{code:#x}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Published test vectors of each function over "abc" (FIPS 180-4, FIPS 202, RFC 7693, the
    /// BLAKE3 reference), so a table entry wired to the wrong function fails here.
    #[test]
    fn digests_match_published_vectors() {
        let abc = b"abc";
        let d = |code| hex(multihash(code, abc).unwrap().digest());
        assert_eq!(d(SHA2_256), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(d(SHA2_512).starts_with("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"));
        assert_eq!(d(SHA3_256), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
        assert!(d(SHA3_512).starts_with("b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"));
        assert!(d(BLAKE2B_512).starts_with("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"));
        assert_eq!(d(BLAKE2S_256), "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
        assert_eq!(d(BLAKE3), "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
        assert_eq!(d(KECCAK_256), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
        // blake2b-256 is its own function (the length is a parameter), not blake2b-512 cut short.
        assert_eq!(d(BLAKE2B_256), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
        assert_eq!(multihash(BLAKE2B_256, abc).unwrap().size(), 32);
        assert_eq!(multihash(BLAKE2B_MIN + 19, abc).unwrap().size(), 20);
    }

    #[test]
    fn verifies_and_refuses() {
        for code in [SHA2_256, SHA2_512, SHA3_256, SHA3_512, BLAKE2B_256, BLAKE2B_MIN, BLAKE2S_256, BLAKE3] {
            let mh = multihash(code, b"block").unwrap();
            assert_eq!(verify_multihash(&mh, b"block"), Ok(()), "{}", hash_name(code));
            assert_eq!(verify_multihash(&mh, b"blocK"), Err(Mismatch::Digest), "{}", hash_name(code));
            assert_eq!(verify_multihash_bytes(&mh.to_bytes(), b"block"), Ok(()));
        }
        let id = Multihash::wrap(IDENTITY, b"inline").unwrap();
        assert_eq!(verify_multihash(&id, b"inline"), Ok(()));
        assert_eq!(verify_multihash(&id, b"inlinE"), Err(Mismatch::Digest));
        // blake3 is extendable: a 64-byte digest is checked too.
        let mut long = [0u8; 64];
        blake3::Hasher::new().update(b"x").finalize_xof().fill(&mut long);
        assert_eq!(verify_multihash(&Multihash::wrap(BLAKE3, &long).unwrap(), b"x"), Ok(()));
        // A truncated sha2-256, a blake2b code with the wrong length, sha1 and murmur3: refused.
        for (code, size) in [(SHA2_256, 20), (BLAKE2B_256, 20), (0x11, 20), (0x22, 8)] {
            let mh = Multihash::wrap(code, &vec![0; size]).unwrap();
            assert_eq!(verify_multihash(&mh, b""), Err(Mismatch::Unsupported { code, size: size as u8 }));
        }
        assert_eq!(verify_multihash_bytes(&[0x12], b""), Err(Mismatch::Digest));
    }

    #[test]
    fn names() {
        assert_eq!(hash_name(BLAKE2B_256), "blake2b-256");
        assert_eq!(hash_name(BLAKE2B_MIN + 19), "blake2b-160");
        assert_eq!(hash_name(BLAKE2S_256), "blake2s-256");
        assert_eq!(hash_name(SHA2_512), "sha2-512");
        assert_eq!(hash_name(0x9999), "0x9999");
    }
}
