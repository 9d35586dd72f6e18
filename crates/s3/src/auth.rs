//! Who may do what: signatures are s3s's work (SigV4 and SigV2, headers and presigned URLs);
//! it asks `Keys` for the secret of an access key id. `Policy` then refuses anonymous
//! requests, writes with a read-only key, buckets outside a key's list, presigned V4 URLs valid
//! for more than 7 days, and SigV2 header requests dated more than 15 minutes off (s3s checks
//! neither of the last two).

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{CopyObjectInput, CopySource};
use s3s::path::S3Path;
use s3s::{S3Request, S3Result, s3_error};

use crate::keys::KeyRing;

pub struct Keys(pub Arc<KeyRing>);

#[async_trait::async_trait]
impl S3Auth for Keys {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.get(access_key) {
            Some(key) => Ok(SecretKey::from(key.secret)),
            None => Err(s3_error!(InvalidAccessKeyId)),
        }
    }
}

/// Operations that change something.
const WRITES: [&str; 14] = [
    "PutObject",
    "CopyObject",
    "DeleteObject",
    "DeleteObjects",
    "CreateBucket",
    "DeleteBucket",
    "CreateMultipartUpload",
    "UploadPart",
    "UploadPartCopy",
    "CompleteMultipartUpload",
    "AbortMultipartUpload",
    "PutBucketVersioning",
    "PutObjectTagging",
    "PutObjectAcl",
];

/// The longest a presigned V4 URL may be valid, as AWS.
const MAX_PRESIGNED_SECS: u64 = 7 * 24 * 3600;
/// How far a SigV2 `Date` may be from our clock, as AWS's V4 rule.
const MAX_SKEW_SECS: i64 = 15 * 60;

pub struct Policy(pub Arc<KeyRing>);

#[async_trait::async_trait]
impl S3Access for Policy {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Signature is required"));
        };
        let Some(key) = self.0.get(&credentials.access_key) else {
            return Err(s3_error!(InvalidAccessKeyId));
        };
        let op = cx.s3_op().name();
        if key.read_only && WRITES.contains(&op) {
            return Err(s3_error!(AccessDenied, "this access key is read-only"));
        }
        match cx.s3_path() {
            S3Path::Root => {}
            S3Path::Bucket { bucket } | S3Path::Object { bucket, .. } => {
                if !key.reaches(bucket) {
                    return Err(s3_error!(AccessDenied, "this access key does not reach bucket {bucket:?}"));
                }
            }
        }
        if let Some(query) = cx.uri().query() {
            // Names as s3s reads them: percent-decoded (`X-Amz-Expire%73` is `X-Amz-Expires`).
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            for (name, value) in query.split('&').filter_map(|kv| kv.split_once('=')) {
                let (name, value) = (decode(name), decode(value));
                if name == "X-Amz-Expires" && value.parse::<u64>().map_or(true, |s| s > MAX_PRESIGNED_SECS) {
                    return Err(s3_error!(AuthorizationQueryParametersError, "X-Amz-Expires must be at most 604800"));
                }
            }
        }
        let v2_header =
            cx.headers().get("authorization").and_then(|v| v.to_str().ok()).is_some_and(|a| a.starts_with("AWS "));
        if v2_header {
            let date =
                cx.headers().get("x-amz-date").or_else(|| cx.headers().get("date")).and_then(|v| v.to_str().ok());
            if !v2_date_is_current(date, time::OffsetDateTime::now_utc()) {
                return Err(s3_error!(RequestTimeTooSkewed));
            }
        }
        Ok(())
    }

    /// The source of a copy is read: the key must reach its bucket too.
    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        let key = req.credentials.as_ref().and_then(|c| self.0.get(&c.access_key));
        if let (Some(key), CopySource::Bucket { bucket, .. }) = (key, &req.input.copy_source)
            && !key.reaches(bucket)
        {
            return Err(s3_error!(AccessDenied, "this access key does not reach bucket {bucket:?}"));
        }
        Ok(())
    }
}

/// Whether a SigV2 request's `Date` (RFC 2822, as clients send it) is within 15 minutes of
/// `now`: a captured request cannot be replayed later.
fn v2_date_is_current(date: Option<&str>, now: time::OffsetDateTime) -> bool {
    let when = date.and_then(|d| time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc2822).ok());
    when.is_some_and(|w| (w - now).whole_seconds().abs() <= MAX_SKEW_SECS)
}

/// Bucket names served: any ipfs-kit bucket name a URL path can carry.
pub struct KitNames;

impl s3s::validation::NameValidation for KitNames {
    fn validate_bucket_name(&self, name: &str) -> bool {
        ipfs_kit_buckets::names::check_bucket_name(name).is_ok() && name.bytes().all(|b| b.is_ascii_graphic())
    }
}

/// The AWS rule, for buckets created through S3 (so they stay portable).
pub fn aws_bucket_name(name: &str) -> bool {
    let ok_chars = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let ends = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (3..=63).contains(&name.len())
        && ok_chars
        && ends(name.as_bytes().first())
        && ends(name.as_bytes().last())
        && !name.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigv2_dates_must_be_current() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_796_515_200).unwrap(); // 2026-12-06T00:00Z
        assert!(v2_date_is_current(Some("Sun, 06 Dec 2026 00:10:00 GMT"), now));
        assert!(v2_date_is_current(Some("Sat, 05 Dec 2026 23:50:00 +0000"), now));
        assert!(!v2_date_is_current(Some("Sun, 06 Dec 2026 00:16:00 GMT"), now));
        assert!(!v2_date_is_current(Some("Fri, 04 Dec 2026 00:00:00 GMT"), now));
        assert!(!v2_date_is_current(Some("yesterday"), now));
        assert!(!v2_date_is_current(None, now));
    }

    #[test]
    fn new_buckets_need_s3_names() {
        for ok in ["abc", "my-bucket.2026", "a1b"] {
            assert!(aws_bucket_name(ok), "{ok}");
        }
        let long = "a".repeat(64);
        for bad in ["ab", "Docs", "a_b", "-ab", "ab-", "a..b", long.as_str()] {
            assert!(!aws_bucket_name(bad), "{bad}");
        }
    }
}
