//! Bucket operations, and the listings of a bucket's objects.

use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use crate::answers::from_bucket;
use crate::kit::Kit;
use crate::listing::{encoder, max_keys, page, token, untoken};
use crate::meta::{etag, last_modified, parse_time};

/// The buckets the request's key reaches.
pub async fn list_buckets(kit: &Arc<Kit>, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
    let key = req.credentials.as_ref().and_then(|c| kit.keys.get(&c.access_key));
    let all = kit.read(|b| b.list().map_err(from_bucket)).await?;
    let buckets = all
        .into_iter()
        .filter(|s| key.as_ref().is_none_or(|k| k.reaches(&s.row.name)))
        .map(|s| Bucket {
            name: Some(s.row.name.clone()),
            creation_date: Some(parse_time(&s.row.created_at)),
            bucket_region: Some(crate::REGION.to_owned()),
        })
        .collect();
    let owner = Owner { display_name: Some("ipfs-kit".into()), id: Some("ipfs-kit".into()) };
    Ok(S3Response::new(ListBucketsOutput { buckets: Some(buckets), owner: Some(owner), ..Default::default() }))
}

pub async fn create_bucket(
    kit: &Arc<Kit>,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let name = req.input.bucket;
    if !crate::auth::aws_bucket_name(&name) {
        return Err(s3_error!(
            InvalidBucketName,
            "new buckets need an S3 name: 3-63 characters of a-z, 0-9, '.' and '-' (`ipfs-kit bucket create` takes more)"
        ));
    }
    let created = name.clone();
    kit.import(move |b| b.create(&created, "unixfs-v1-2025").map(drop).map_err(from_bucket)).await?;
    Ok(S3Response::new(CreateBucketOutput { location: Some(format!("/{name}")) }))
}

pub async fn head_bucket(kit: &Arc<Kit>, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
    let name = req.input.bucket;
    kit.read(move |b| b.info(&name).map(drop).map_err(from_bucket)).await?;
    Ok(S3Response::new(HeadBucketOutput { bucket_region: Some(crate::REGION.to_owned()), ..Default::default() }))
}

pub async fn delete_bucket(
    kit: &Arc<Kit>,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    let name = req.input.bucket;
    kit.import(move |b| {
        let info = b.info(&name).map_err(from_bucket)?;
        let has_uploads = !b.uploads(&name, "").map_err(from_bucket)?.is_empty();
        if info.files > 0 || has_uploads {
            return Err(s3_error!(BucketNotEmpty));
        }
        b.rm(&name).map_err(from_bucket)
    })
    .await?;
    Ok(S3Response::with_status(DeleteBucketOutput::default(), http::StatusCode::NO_CONTENT))
}

pub async fn get_bucket_location(
    kit: &Arc<Kit>,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    let name = req.input.bucket;
    kit.read(move |b| b.info(&name).map(drop).map_err(from_bucket)).await?;
    // No constraint is us-east-1.
    Ok(S3Response::new(GetBucketLocationOutput::default()))
}

pub async fn get_bucket_versioning(
    kit: &Arc<Kit>,
    req: S3Request<GetBucketVersioningInput>,
) -> S3Result<S3Response<GetBucketVersioningOutput>> {
    let name = req.input.bucket;
    kit.read(move |b| b.info(&name).map(drop).map_err(from_bucket)).await?;
    // Never enabled: S3 versioning is not offered (snapshots keep history instead).
    Ok(S3Response::new(GetBucketVersioningOutput::default()))
}

fn object_of(row: &ipfs_kit_buckets::EntryRow, encode: &impl Fn(String) -> String) -> Object {
    Object {
        key: Some(encode(row.path.clone())),
        size: Some(row.size as i64),
        e_tag: Some(etag(row)),
        last_modified: Some(last_modified(row)),
        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
        ..Default::default()
    }
}

pub async fn list_objects_v2(
    kit: &Arc<Kit>,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let input = req.input;
    let after = match (&input.continuation_token, &input.start_after) {
        (Some(t), _) => untoken(t)?,
        (None, Some(s)) => s.clone(),
        (None, None) => String::new(),
    };
    let (name, prefix, delimiter) =
        (input.bucket.clone(), input.prefix.clone().unwrap_or_default(), input.delimiter.clone());
    let max = max_keys(input.max_keys);
    let found = kit.read(move |b| page(b, &name, &prefix, delimiter.as_deref(), &after, max)).await?;
    let encode = encoder(input.encoding_type.as_ref().map(|e| e.as_str().to_owned()));
    let contents: Vec<Object> = found.objects.iter().map(|r| object_of(r, &encode)).collect();
    let common: Vec<CommonPrefix> =
        found.prefixes.iter().map(|p| CommonPrefix { prefix: Some(encode(p.clone())) }).collect();
    let output = ListObjectsV2Output {
        name: Some(input.bucket),
        key_count: Some((contents.len() + common.len()) as i32),
        contents: Some(contents),
        common_prefixes: Some(common),
        is_truncated: Some(found.truncated),
        next_continuation_token: found.truncated.then(|| found.last.as_deref().map(token)).flatten(),
        continuation_token: input.continuation_token,
        start_after: input.start_after.map(&encode),
        prefix: Some(encode(input.prefix.unwrap_or_default())),
        delimiter: input.delimiter.map(&encode),
        max_keys: Some(max as i32),
        encoding_type: input.encoding_type,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn list_objects(kit: &Arc<Kit>, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
    let input = req.input;
    let after = input.marker.clone().unwrap_or_default();
    let (name, prefix, delimiter) =
        (input.bucket.clone(), input.prefix.clone().unwrap_or_default(), input.delimiter.clone());
    let max = max_keys(input.max_keys);
    let found = kit.read(move |b| page(b, &name, &prefix, delimiter.as_deref(), &after, max)).await?;
    let encode = encoder(input.encoding_type.as_ref().map(|e| e.as_str().to_owned()));
    let contents: Vec<Object> = found.objects.iter().map(|r| object_of(r, &encode)).collect();
    let common: Vec<CommonPrefix> =
        found.prefixes.iter().map(|p| CommonPrefix { prefix: Some(encode(p.clone())) }).collect();
    // S3 gives NextMarker only with a delimiter; without one the client uses the last key.
    let next_marker = (found.truncated && input.delimiter.is_some()).then(|| found.last.clone().map(&encode)).flatten();
    let output = ListObjectsOutput {
        name: Some(input.bucket),
        contents: Some(contents),
        common_prefixes: Some(common),
        is_truncated: Some(found.truncated),
        next_marker,
        marker: Some(encode(input.marker.unwrap_or_default())),
        prefix: Some(encode(input.prefix.unwrap_or_default())),
        delimiter: input.delimiter.map(&encode),
        max_keys: Some(max as i32),
        encoding_type: input.encoding_type,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}
