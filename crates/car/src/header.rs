//! The CARv1 header: a DAG-CBOR map `{"roots": [CID, ...], "version": 1}`.
//!
//! The encoder emits exactly the bytes go-car and js-car (ipfs-car) write, so a CAR built here
//! hashes to the same CAR CID as theirs: keys in DAG-CBOR order (shorter key first, so "roots"
//! before "version"), each root as tag 42 over a byte string of `0x00` + the CID's binary form.
//! The decoder accepts either key order (it costs nothing and some encoders sort differently) but
//! nothing else: no unknown or repeated keys, no version other than 1.

use cid::Cid;

use crate::cbor::{self, Decoder, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_TAG, MAJOR_TEXT, MAJOR_UINT, TAG_CID};
use crate::error::HeaderError;

const KEY_ROOTS: &str = "roots";
const KEY_VERSION: &str = "version";

/// A header decode failure and where in the header body it happened.
#[derive(Debug)]
pub(crate) struct HeaderFault {
    pub(crate) pos: usize,
    pub(crate) kind: HeaderError,
}

/// Encodes the header body (without its varint length prefix).
pub(crate) fn encode(roots: &[Cid]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body_len(roots) as usize);
    cbor::write_head(&mut out, MAJOR_MAP, 2);
    write_text(&mut out, KEY_ROOTS);
    cbor::write_head(&mut out, MAJOR_ARRAY, roots.len() as u64);
    for root in roots {
        let bytes = root.to_bytes();
        cbor::write_head(&mut out, MAJOR_TAG, TAG_CID);
        cbor::write_head(&mut out, MAJOR_BYTES, bytes.len() as u64 + 1);
        out.push(0x00);
        out.extend_from_slice(&bytes);
    }
    write_text(&mut out, KEY_VERSION);
    cbor::write_head(&mut out, MAJOR_UINT, 1);
    out
}

/// Length of [`encode`]'s output, computed without encoding.
pub(crate) fn body_len(roots: &[Cid]) -> u64 {
    let text = |s: &str| cbor::head_len(s.len() as u64) + s.len() as u64;
    let links: u64 = roots
        .iter()
        .map(|r| {
            let n = r.encoded_len() as u64 + 1;
            cbor::head_len(TAG_CID) + cbor::head_len(n) + n
        })
        .sum();
    cbor::head_len(2) + text(KEY_ROOTS) + cbor::head_len(roots.len() as u64) + links + text(KEY_VERSION) + 1
}

fn write_text(out: &mut Vec<u8>, s: &str) {
    cbor::write_head(out, MAJOR_TEXT, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Decodes a CARv1 header body into its roots, refusing more than `max_roots` of them.
pub(crate) fn decode(body: &[u8], max_roots: u64) -> Result<Vec<Cid>, HeaderFault> {
    let mut d = Decoder::new(body);
    let fault = |d: &Decoder, kind| HeaderFault { pos: d.pos(), kind };
    if body.is_empty() {
        return Err(fault(&d, HeaderError::Empty));
    }
    let entries = d.expect(MAJOR_MAP, "a map").map_err(|k| fault(&d, k))?;
    if entries > 2 {
        return Err(fault(&d, HeaderError::WrongEntryCount(entries)));
    }
    let mut roots = None;
    let mut version = None;
    for _ in 0..entries {
        let key_at = d.pos();
        let len = d.expect(MAJOR_TEXT, "a text key").map_err(|k| fault(&d, k))?;
        let key = d.take(len).map_err(|k| fault(&d, k))?;
        let dup = |name| HeaderFault { pos: key_at, kind: HeaderError::DuplicateKey(name) };
        match key {
            b"roots" if roots.is_some() => return Err(dup(KEY_ROOTS)),
            b"roots" => roots = Some(decode_roots(&mut d, max_roots)?),
            b"version" if version.is_some() => return Err(dup(KEY_VERSION)),
            b"version" => {
                let at = d.pos();
                version = Some((d.expect(MAJOR_UINT, "an unsigned version").map_err(|k| fault(&d, k))?, at));
            }
            _ => return Err(HeaderFault { pos: key_at, kind: HeaderError::UnknownKey }),
        }
    }
    if d.remaining() > 0 {
        return Err(fault(&d, HeaderError::TrailingBytes(d.remaining())));
    }
    match version {
        None => return Err(fault(&d, HeaderError::MissingKey(KEY_VERSION))),
        Some((1, _)) => {}
        Some((v, at)) => return Err(HeaderFault { pos: at, kind: HeaderError::UnsupportedVersion(v) }),
    }
    roots.ok_or_else(|| fault(&d, HeaderError::MissingKey(KEY_ROOTS)))
}

fn decode_roots(d: &mut Decoder, max_roots: u64) -> Result<Vec<Cid>, HeaderFault> {
    let at = d.pos();
    let count = d.expect(MAJOR_ARRAY, "an array of roots").map_err(|kind| HeaderFault { pos: at, kind })?;
    if count > max_roots {
        return Err(HeaderFault { pos: at, kind: HeaderError::TooManyRoots { count, max: max_roots } });
    }
    // Each link takes at least one byte, so the remaining length caps the allocation too.
    let mut roots = Vec::with_capacity(count.min(d.remaining() as u64) as usize);
    for _ in 0..count {
        roots.push(decode_link(d)?);
    }
    Ok(roots)
}

fn decode_link(d: &mut Decoder) -> Result<Cid, HeaderFault> {
    let at = d.pos();
    let fault = |kind| HeaderFault { pos: at, kind };
    match d.head().map_err(fault)? {
        (MAJOR_TAG, TAG_CID) => {}
        _ => return Err(fault(HeaderError::Expected("a tag-42 CID link"))),
    }
    let len = d.expect(MAJOR_BYTES, "a byte string in the CID link").map_err(fault)?;
    let bytes = d.take(len).map_err(fault)?;
    let Some((&0x00, mut cid_bytes)) = bytes.split_first() else {
        return Err(fault(HeaderError::MissingLinkPrefix));
    };
    let all = cid_bytes;
    let cid = Cid::read_bytes(&mut cid_bytes).map_err(|e| fault(HeaderError::InvalidCid(e)))?;
    if cid.to_bytes() != all[..all.len() - cid_bytes.len()] {
        return Err(fault(HeaderError::NonCanonicalCid));
    }
    if !cid_bytes.is_empty() {
        return Err(fault(HeaderError::TrailingCidBytes(cid_bytes.len())));
    }
    Ok(cid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{cid_v0, raw_cid};

    /// The body built byte by byte from the CARv1 spec's description, for one CIDv1 root.
    fn hand_built(root: &Cid) -> Vec<u8> {
        let cid = root.to_bytes();
        let mut v = vec![0xa2]; // map(2)
        v.extend_from_slice(&[0x65, b'r', b'o', b'o', b't', b's']); // text(5) "roots"
        v.push(0x81); // array(1)
        v.extend_from_slice(&[0xd8, 0x2a]); // tag(42)
        v.extend_from_slice(&[0x58, cid.len() as u8 + 1, 0x00]); // bytes(37), multibase identity prefix
        v.extend_from_slice(&cid);
        v.extend_from_slice(&[0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x01]); // "version": 1
        v
    }

    #[test]
    fn encodes_the_spec_layout() {
        let root = raw_cid(b"root");
        assert_eq!(encode(&[root]), hand_built(&root));
        assert_eq!(body_len(&[root]), hand_built(&root).len() as u64);
    }

    /// The header of the spec's carv2-basic fixture: one CIDv0 root (bytes copied from its hex).
    #[test]
    fn encodes_a_cidv0_root_like_the_spec_fixture() {
        let root: Cid = "QmfEoLyB5NndqeKieExd1rtJzTduQUPEV8TwAYcUiy3H5Z".parse().unwrap();
        let body = encode(&[root]);
        assert_eq!(body.len(), 0x38);
        assert_eq!(&body[..14], &[0xa2, 0x65, b'r', b'o', b'o', b't', b's', 0x81, 0xd8, 0x2a, 0x58, 0x23, 0x00, 0x12]);
        assert_eq!(decode(&body, 10).unwrap(), vec![root]);
    }

    #[test]
    fn lengths_agree_for_many_roots() {
        for n in [0, 1, 23, 24, 300] {
            let roots: Vec<Cid> = (0..n)
                .map(|i: u32| if i.is_multiple_of(2) { raw_cid(&i.to_le_bytes()) } else { cid_v0(&i.to_le_bytes()) })
                .collect();
            let body = encode(&roots);
            assert_eq!(body.len() as u64, body_len(&roots));
            assert_eq!(decode(&body, 1000).unwrap(), roots);
        }
    }

    fn kind(body: &[u8]) -> HeaderError {
        decode(body, 10).unwrap_err().kind
    }

    #[test]
    fn accepts_either_key_order() {
        let root = raw_cid(b"x");
        let mut body = vec![0xa2, 0x67];
        body.extend_from_slice(b"version");
        body.push(0x01);
        let canonical = encode(&[root]);
        // Move `"roots": [...]` (everything between the map head and "version") after the version.
        let roots_part = &canonical[1..canonical.len() - 9];
        body.extend_from_slice(roots_part);
        assert_eq!(decode(&body, 10).unwrap(), vec![root]);
    }

    #[test]
    fn refuses_malformed_headers() {
        let good = encode(&[raw_cid(b"x")]);
        assert!(matches!(kind(&[]), HeaderError::Empty));
        assert!(matches!(kind(&[0x80]), HeaderError::Expected(_)));
        assert!(matches!(kind(&good[..good.len() - 1]), HeaderError::Truncated));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(kind(&trailing), HeaderError::TrailingBytes(1)));
        let mut v2 = good.clone();
        *v2.last_mut().unwrap() = 0x02;
        assert!(matches!(kind(&v2), HeaderError::UnsupportedVersion(2)));
        // {"version": 1} alone.
        let mut no_roots = vec![0xa1, 0x67];
        no_roots.extend_from_slice(b"version");
        no_roots.push(0x01);
        assert!(matches!(kind(&no_roots), HeaderError::MissingKey("roots")));
        // {"version": 1, "version": 1}
        let mut dup = vec![0xa2];
        dup.extend_from_slice(&no_roots[1..]);
        dup.extend_from_slice(&no_roots[1..]);
        assert!(matches!(kind(&dup), HeaderError::DuplicateKey("version")));
        // "rootz" instead of "roots".
        let mut unknown = good.clone();
        unknown[6] = b'z';
        assert!(matches!(kind(&unknown), HeaderError::UnknownKey));
        // Link without the 0x00 prefix.
        let mut no_prefix = good.clone();
        no_prefix[12] = 0x01;
        assert!(matches!(kind(&no_prefix), HeaderError::MissingLinkPrefix));
        // Tag 43 instead of 42.
        let mut tag = good.clone();
        tag[9] = 0x2b;
        assert!(matches!(kind(&tag), HeaderError::Expected(_)));
        // Three entries.
        let mut three = good.clone();
        three[0] = 0xa3;
        assert!(matches!(kind(&three), HeaderError::WrongEntryCount(3)));
    }

    #[test]
    fn bounds_the_roots_count_before_allocating() {
        // array(2^64-1) of roots in a 20-byte header.
        let mut body = vec![0xa2, 0x65];
        body.extend_from_slice(b"roots");
        body.extend_from_slice(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(decode(&body, u64::MAX).unwrap_err().kind, HeaderError::Truncated));
        assert!(matches!(decode(&body, 16).unwrap_err().kind, HeaderError::TooManyRoots { max: 16, .. }));
    }

    #[test]
    fn empty_roots_decode() {
        assert_eq!(decode(&encode(&[]), 10).unwrap(), Vec::<Cid>::new());
    }
}
