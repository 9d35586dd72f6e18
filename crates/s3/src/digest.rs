//! What a body must hash to, and what it did hash to: `Content-MD5`, the flexible checksums
//! (`x-amz-checksum-*`, in headers or in an aws-chunked trailer), and the length. s3s parses
//! these but verifies none of them; a body is committed only once all that was claimed matched.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Md5, Sha1, Sha256};
use s3s::dto::Checksum;
use s3s::{S3Error, S3ErrorCode, S3Result, TrailingHeaders, s3_error};

/// The claims of one request about its body.
#[derive(Default)]
pub struct Claims {
    pub md5: Option<[u8; 16]>,
    pub checksum: Checksum,
    /// Algorithms to compute (claimed in a header or the trailer, or asked for).
    pub algorithms: Vec<String>,
    pub length: Option<u64>,
    pub trailer: Option<TrailingHeaders>,
}

const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"];

impl Claims {
    /// From the parsed fields and the headers (`x-amz-trailer` names a checksum that follows
    /// the body; `x-amz-sdk-checksum-algorithm` or `x-amz-checksum-algorithm` asks for one).
    pub fn new(
        content_md5: Option<&str>,
        checksum: Checksum,
        algorithm: Option<&str>,
        length: Option<i64>,
        headers: &HeaderMap,
        trailer: Option<TrailingHeaders>,
    ) -> S3Result<Claims> {
        let md5 = match content_md5 {
            None => None,
            Some(text) => Some(
                STANDARD
                    .decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 16]>::try_from(b).ok())
                    .ok_or_else(|| s3_error!(InvalidDigest, "Content-MD5 is not the base64 of 16 bytes"))?,
            ),
        };
        let mut algorithms: Vec<String> = Vec::new();
        let mut want = |name: &str| {
            let upper = name.trim().to_ascii_uppercase();
            if ALGORITHMS.contains(&upper.as_str()) && !algorithms.contains(&upper) {
                algorithms.push(upper);
            }
        };
        if let Some(a) = algorithm {
            want(a);
        }
        for (name, value) in [
            ("CRC32", &checksum.checksum_crc32),
            ("CRC32C", &checksum.checksum_crc32c),
            ("SHA1", &checksum.checksum_sha1),
            ("SHA256", &checksum.checksum_sha256),
            ("CRC64NVME", &checksum.checksum_crc64nvme),
        ] {
            if value.is_some() {
                want(name);
            }
        }
        if let Some(names) = headers.get("x-amz-trailer").and_then(|v| v.to_str().ok()) {
            for name in names.split(',') {
                if let Some(a) = name.trim().to_ascii_lowercase().strip_prefix("x-amz-checksum-") {
                    want(a);
                }
            }
        }
        let length = length.and_then(|n| u64::try_from(n).ok());
        Ok(Claims { md5, checksum, algorithms, length, trailer })
    }

    pub fn digests(&self) -> Digests {
        let has = |a: &str| self.algorithms.iter().any(|x| x == a);
        Digests {
            md5: Md5::new(),
            hasher: ChecksumHasher {
                crc32: has("CRC32").then(Crc32::new),
                crc32c: has("CRC32C").then(Crc32c::new),
                sha1: has("SHA1").then(Sha1::new),
                sha256: has("SHA256").then(Sha256::new),
                crc64nvme: has("CRC64NVME").then(Crc64Nvme::new),
            },
            len: 0,
        }
    }

    /// Checks what the body hashed to against every claim; the checksums to echo on success.
    pub fn verify(&self, got: Computed) -> S3Result<Computed> {
        if let Some(n) = self.length
            && n != got.len
        {
            return Err(s3_error!(IncompleteBody, "the body had {} bytes, Content-Length said {n}", got.len));
        }
        if let Some(md5) = self.md5
            && md5 != got.md5
        {
            return Err(s3_error!(BadDigest, "the Content-MD5 you specified did not match what we received"));
        }
        let trailer = self.trailer.as_ref().and_then(TrailingHeaders::take);
        let claimed = |name: &str, field: &Option<String>| -> Option<String> {
            field.clone().or_else(|| {
                let header = format!("x-amz-checksum-{}", name.to_ascii_lowercase());
                trailer.as_ref()?.get(header.as_str())?.to_str().ok().map(str::to_owned)
            })
        };
        let c = &self.checksum;
        for (name, claim, computed) in [
            ("CRC32", claimed("CRC32", &c.checksum_crc32), &got.checksum.checksum_crc32),
            ("CRC32C", claimed("CRC32C", &c.checksum_crc32c), &got.checksum.checksum_crc32c),
            ("SHA1", claimed("SHA1", &c.checksum_sha1), &got.checksum.checksum_sha1),
            ("SHA256", claimed("SHA256", &c.checksum_sha256), &got.checksum.checksum_sha256),
            ("CRC64NVME", claimed("CRC64NVME", &c.checksum_crc64nvme), &got.checksum.checksum_crc64nvme),
        ] {
            if let Some(claim) = claim
                && Some(&claim) != computed.as_ref()
            {
                return Err(S3Error::with_message(
                    S3ErrorCode::BadDigest,
                    format!("the {name} you specified did not match the calculated checksum"),
                ));
            }
        }
        Ok(got)
    }
}

/// The `Claims` of a PutObject or UploadPart input (both carry the same fields), its headers
/// and its trailer.
macro_rules! claims_of {
    ($input:expr, $headers:expr, $trailer:expr) => {{
        let checksum = s3s::dto::Checksum {
            checksum_crc32: $input.checksum_crc32,
            checksum_crc32c: $input.checksum_crc32c,
            checksum_sha1: $input.checksum_sha1,
            checksum_sha256: $input.checksum_sha256,
            checksum_crc64nvme: $input.checksum_crc64nvme,
            checksum_type: None,
        };
        let algorithm = $input.checksum_algorithm.as_ref().map(|a| a.as_str().to_owned());
        $crate::digest::Claims::new(
            $input.content_md5.as_deref(),
            checksum,
            algorithm.as_deref(),
            $input.content_length,
            $headers,
            $trailer,
        )
    }};
}
pub(crate) use claims_of;

/// Running digests of a body.
pub struct Digests {
    md5: Md5,
    hasher: ChecksumHasher,
    len: u64,
}

/// What a whole body hashed to.
pub struct Computed {
    pub md5: [u8; 16],
    pub checksum: Checksum,
    pub len: u64,
}

impl Digests {
    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.hasher.update(data);
        self.len += data.len() as u64;
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn finish(self) -> Computed {
        let md5 = self.md5.finalize();
        Computed { md5: md5.as_ref().try_into().expect("16 bytes"), checksum: self.hasher.finalize(), len: self.len }
    }
}

/// The S3 error for a body stream that failed. s3s's own stream errors live in private modules,
/// so they are told apart by their text (pinned to s3s 0.14.1 by a test).
pub fn stream_error(err: &(dyn std::error::Error + 'static)) -> S3Error {
    let text = format!("{err:?} {err}");
    if text.contains("SignatureMismatch") {
        s3_error!(SignatureDoesNotMatch, "a chunk's signature does not match")
    } else if text.contains("Sha256Mismatch") {
        let mut e = S3Error::with_message(
            S3ErrorCode::Custom("XAmzContentSHA256Mismatch".into()),
            "the x-amz-content-sha256 you specified did not match what we received",
        );
        e.set_status_code(http::StatusCode::BAD_REQUEST);
        e
    } else {
        s3_error!(IncompleteBody, "the request body ended early or was malformed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_checked() {
        let md5 = STANDARD.encode(Md5::checksum(b"hello"));
        let sum = Checksum { checksum_crc32: Some(STANDARD.encode(Crc32::checksum(b"hello"))), ..Default::default() };
        let claims = Claims::new(Some(&md5), sum, None, Some(5), &HeaderMap::new(), None).unwrap();
        assert_eq!(claims.algorithms, ["CRC32"]);
        let mut d = claims.digests();
        d.update(b"hel");
        d.update(b"lo");
        let ok = claims.verify(d.finish()).unwrap();
        assert_eq!(ok.checksum.checksum_crc32, claims.checksum.checksum_crc32);
        let mut d = claims.digests();
        d.update(b"hellO");
        assert_eq!(claims.verify(d.finish()).err().unwrap().code(), &S3ErrorCode::BadDigest);
        let mut d = claims.digests();
        d.update(b"hell");
        assert_eq!(claims.verify(d.finish()).err().unwrap().code(), &S3ErrorCode::IncompleteBody);
        let bad = Claims::new(Some("not base64!"), Checksum::default(), None, None, &HeaderMap::new(), None);
        assert_eq!(bad.err().unwrap().code(), &S3ErrorCode::InvalidDigest);
    }
}
