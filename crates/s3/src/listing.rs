//! ListObjects (v1 and v2): one page of keys and common prefixes.
//!
//! SQLite orders `entries.path` by its UTF-8 bytes, which is S3's key order, so a page is a
//! seek on the primary key (`Buckets::files_after`). With a delimiter, each common prefix costs
//! one seek: the scan jumps past the whole subtree, so listing `a/` is O(page) however much
//! lies below. Directories are not objects (S3 has none); symlinks are left out too.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ipfs_kit_buckets::{Buckets, EntryRow};
use ipfs_kit_unixfs::EntryKind;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3s::{S3Result, s3_error};

/// One page.
pub struct Page {
    pub objects: Vec<EntryRow>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or prefix of the page: where the next one starts after.
    pub last: Option<String>,
}

/// At most 1000 keys per page, as S3.
pub fn max_keys(asked: Option<i32>) -> usize {
    asked.map_or(1000, |n| n.clamp(0, 1000) as usize)
}

/// The page of `bucket` after `after` ("" from the start).
pub fn page(
    buckets: &Buckets,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    after: &str,
    max: usize,
) -> S3Result<Page> {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut page = Page { objects: Vec::new(), prefixes: Vec::new(), truncated: false, last: None };
    // A page that ended on a common prefix resumes past everything under it.
    let ends_on_prefix = delimiter.is_some_and(|d| {
        after.strip_prefix(prefix).is_some_and(|rest| rest.ends_with(d) && rest.find(d) == Some(rest.len() - d.len()))
    });
    let mut cursor = if ends_on_prefix { format!("{after}\u{10ffff}") } else { after.to_owned() };
    'seek: loop {
        let want = (max - page.objects.len() - page.prefixes.len()) as u64 + 1;
        let rows = buckets.files_after(bucket, prefix, &cursor, want).map_err(crate::answers::from_bucket)?;
        if rows.is_empty() {
            return Ok(page);
        }
        for row in rows {
            cursor.clone_from(&row.path);
            if row.kind != EntryKind::File {
                continue;
            }
            if page.objects.len() + page.prefixes.len() == max {
                page.truncated = true;
                return Ok(page);
            }
            let rest = &row.path[prefix.len()..];
            match delimiter.and_then(|d| rest.find(d).map(|i| format!("{prefix}{}", &rest[..i + d.len()]))) {
                Some(common) => {
                    // Past everything under this prefix in one seek.
                    cursor = format!("{common}\u{10ffff}");
                    page.last = Some(common.clone());
                    page.prefixes.push(common);
                    continue 'seek;
                }
                None => {
                    page.last = Some(row.path.clone());
                    page.objects.push(row);
                }
            }
        }
    }
}

/// A v2 continuation token: the last key or prefix, opaque to the client.
pub fn token(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(last)
}

pub fn untoken(token: &str) -> S3Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| s3_error!(InvalidArgument, "the continuation token is not one this server gave"))
}

/// `encoding-type=url`: everything but unreserved characters and `/` percent-encoded.
const KEY_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

pub fn encoder(encoding_type: Option<String>) -> impl Fn(String) -> String {
    let url = encoding_type.is_some_and(|e| e.eq_ignore_ascii_case("url"));
    move |s: String| if url { utf8_percent_encode(&s, KEY_SET).to_string() } else { s }
}
