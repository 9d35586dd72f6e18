//! What an object carries besides its bytes, as kept in the catalog (`ObjectAttrs`): the ETag's
//! MD5 and part count, and the headers a client sent with it (Content-Type and the like, and
//! `x-amz-meta-*`), encoded as a small JSON object.

use std::collections::HashMap;

use ipfs_kit_buckets::{EntryRow, ObjectAttrs};
use s3s::dto::{ETag, Timestamp};
use serde::{Deserialize, Serialize};

/// The headers stored with an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// `x-amz-meta-*`, names lower-case.
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub user: HashMap<String, String>,
}

impl Meta {
    pub fn encode(&self) -> Option<String> {
        (self != &Meta::default()).then(|| serde_json::to_string(self).expect("meta serializes"))
    }

    pub fn decode(text: Option<&str>) -> Meta {
        text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
    }

    pub fn of(entry: &EntryRow) -> Meta {
        Meta::decode(entry.object.as_ref().and_then(|o| o.meta.as_deref()))
    }

    /// The seconds-since-epoch mtime a client keeps in metadata (rclone's `mtime`), if any.
    pub fn mtime(&self) -> Option<i64> {
        let text = self.user.get("mtime")?;
        text.split('.').next()?.parse().ok()
    }
}

/// `hex(md5)` for a single PUT, `hex(md5 of the parts' MD5s)-N` for a multipart upload. A file
/// added any other way has no MD5: its ETag is 32 hex digits of its SHA-256 (or of its CID's
/// digest) with `-1`, which clients that check MD5s take for a multipart ETag, so they fall
/// back to size and time instead of being told a false MD5.
pub fn etag(entry: &EntryRow) -> ETag {
    ETag::Strong(etag_of(entry.object.as_ref(), entry.content_hash.as_ref(), &entry.cid))
}

pub fn etag_of(object: Option<&ObjectAttrs>, content_hash: Option<&[u8; 32]>, cid: &cid::Cid) -> String {
    match object {
        Some(ObjectAttrs { md5: Some(md5), parts: None, .. }) => hex::encode(md5),
        Some(ObjectAttrs { md5: Some(md5), parts: Some(n), .. }) => format!("{}-{n}", hex::encode(md5)),
        _ => {
            let digest = content_hash.map_or_else(|| cid.hash().digest().to_vec(), |h| h.to_vec());
            let hex = hex::encode(digest);
            format!("{}-1", &hex[..32.min(hex.len())])
        }
    }
}

/// When the object was last written, from its catalog row (second precision, as S3).
pub fn last_modified(entry: &EntryRow) -> Timestamp {
    parse_time(&entry.added_at)
}

pub fn parse_time(rfc3339: &str) -> Timestamp {
    let parsed = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(parsed.replace_nanosecond(0).unwrap_or(parsed))
}
