//! GetObject and HeadObject: conditionals (RFC 9110 order), one range, the stored headers, and
//! the object's CID in `x-amz-meta-cid`.

use std::sync::Arc;

use ipfs_kit_buckets::EntryRow;
use ipfs_kit_unixfs::EntryKind;
use s3s::dto::*;
use s3s::{S3Error, S3Request, S3Response, S3Result, s3_error};

use crate::answers::from_bucket;
use crate::kit::Kit;
use crate::meta::{Meta, etag, last_modified};
use crate::paths::{KeyPath, key_path};

/// The file at `key`, or `NoSuchKey` (directories and symlinks are not objects).
pub async fn object(kit: &Kit, bucket: &str, key: &str) -> S3Result<EntryRow> {
    let target = key_path(key)?;
    let (name, path) = (bucket.to_owned(), target.path().to_owned());
    let entry = kit
        .read(move |b| match b.entry(&name, &path) {
            Ok(e) => Ok(Some(e)),
            Err(ipfs_kit_buckets::BucketError::NoSuchPath { .. }) => {
                b.info(&name).map_err(from_bucket)?;
                Ok(None)
            }
            Err(e) => Err(from_bucket(e)),
        })
        .await?;
    match (entry, &target) {
        (Some(e), KeyPath::File(_)) if e.kind == EntryKind::File => Ok(e),
        (Some(e), KeyPath::Folder(_)) if e.kind == EntryKind::Directory => Ok(e),
        _ => Err(s3_error!(NoSuchKey)),
    }
}

fn matches(condition: &ETagCondition, ours: &ETag) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(theirs) => theirs.value() == ours.value(),
    }
}

fn secs(t: &Timestamp) -> i64 {
    time::OffsetDateTime::from(t.clone()).unix_timestamp()
}

/// If-Match → 412, If-Unmodified-Since → 412, If-None-Match → 304, If-Modified-Since → 304.
fn check_conditions(
    entry: &EntryRow,
    if_match: Option<&ETagCondition>,
    if_unmodified_since: Option<&Timestamp>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let ours = etag(entry);
    let modified = secs(&last_modified(entry));
    if let Some(c) = if_match {
        if !matches(c, &ours) {
            return Err(s3_error!(PreconditionFailed));
        }
    } else if let Some(t) = if_unmodified_since
        && modified > secs(t)
    {
        return Err(s3_error!(PreconditionFailed));
    }
    if let Some(c) = if_none_match {
        if matches(c, &ours) {
            return Err(s3_error!(NotModified));
        }
    } else if let Some(t) = if_modified_since
        && modified <= secs(t)
    {
        return Err(s3_error!(NotModified));
    }
    Ok(())
}

/// CopyObject's `x-amz-copy-source-if-*`, which fail with 412 both ways.
pub fn check_copy_conditions(input: &CopyObjectInput, source: &EntryRow) -> S3Result<()> {
    let as_412 =
        |e: S3Error| if e.code() == &s3s::S3ErrorCode::NotModified { s3_error!(PreconditionFailed) } else { e };
    check_conditions(
        source,
        input.copy_source_if_match.as_ref(),
        input.copy_source_if_unmodified_since.as_ref(),
        input.copy_source_if_none_match.as_ref(),
        input.copy_source_if_modified_since.as_ref(),
    )
    .map_err(as_412)
}

fn with_cid(meta: &Meta, entry: &EntryRow) -> Metadata {
    let mut user = meta.user.clone();
    user.insert("cid".to_owned(), entry.cid.to_string());
    user
}

pub async fn get_object(kit: &Arc<Kit>, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
    let input = req.input;
    if input.part_number.is_some() {
        return Err(s3_error!(NotImplemented, "GetObject by partNumber is not supported"));
    }
    let entry = object(kit, &input.bucket, &input.key).await?;
    check_conditions(
        &entry,
        input.if_match.as_ref(),
        input.if_unmodified_since.as_ref(),
        input.if_none_match.as_ref(),
        input.if_modified_since.as_ref(),
    )?;
    let size = entry.size;
    let (range, content_range) = match &input.range {
        None => (0..size, None),
        Some(r) => {
            let range = r.check(size)?;
            let text = format!("bytes {}-{}/{size}", range.start, range.end.saturating_sub(1));
            (range, Some(text))
        }
    };
    let meta = Meta::of(&entry);
    let len = range.end - range.start;
    let body = (entry.kind == EntryKind::File && len > 0)
        .then(|| crate::body::object_body(kit.clone(), entry.cid, range.start, len));
    let output = GetObjectOutput {
        body,
        content_length: Some(len as i64),
        content_range,
        accept_ranges: Some("bytes".into()),
        e_tag: Some(etag(&entry)),
        last_modified: Some(last_modified(&entry)),
        content_type: meta.content_type.clone(),
        content_encoding: meta.content_encoding.clone(),
        content_disposition: meta.content_disposition.clone(),
        content_language: meta.content_language.clone(),
        cache_control: meta.cache_control.clone(),
        metadata: Some(with_cid(&meta, &entry)),
        parts_count: entry.object.as_ref().and_then(|o| o.parts).map(|n| n as i32),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn head_object(kit: &Arc<Kit>, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
    let input = req.input;
    let entry = object(kit, &input.bucket, &input.key).await?;
    check_conditions(
        &entry,
        input.if_match.as_ref(),
        input.if_unmodified_since.as_ref(),
        input.if_none_match.as_ref(),
        input.if_modified_since.as_ref(),
    )?;
    let meta = Meta::of(&entry);
    let (len, content_range) = match &input.range {
        None => (entry.size, None),
        Some(r) => {
            let range = r.check(entry.size)?;
            let text = format!("bytes {}-{}/{}", range.start, range.end.saturating_sub(1), entry.size);
            (range.end - range.start, Some(text))
        }
    };
    let output = HeadObjectOutput {
        content_length: Some(len as i64),
        content_range,
        accept_ranges: Some("bytes".into()),
        e_tag: Some(etag(&entry)),
        last_modified: Some(last_modified(&entry)),
        content_type: meta.content_type.clone(),
        content_encoding: meta.content_encoding.clone(),
        content_disposition: meta.content_disposition.clone(),
        content_language: meta.content_language.clone(),
        cache_control: meta.cache_control.clone(),
        metadata: Some(with_cid(&meta, &entry)),
        parts_count: entry.object.as_ref().and_then(|o| o.parts).map(|n| n as i32),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}
