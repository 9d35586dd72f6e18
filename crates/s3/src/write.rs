//! PutObject, DeleteObject, DeleteObjects, CopyObject.
//!
//! Write order of a put: (1) the body becomes blocks, digests checked at its end, the pack
//! committed only if all matched (a cut or mismatched body leaves only a deleted temp pack);
//! (2) the committer applies the change in one catalog transaction (with whatever else is
//! queued); (3) the answer, with the ETag, the object's CID (`x-amz-meta-cid`) and the bucket's
//! new root (`x-ipfs-kit-root`); (4) the Parquet index follows, as for any change.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use ipfs_kit_blockstore::BlockPin;
use ipfs_kit_buckets::objects::{ObjectChange, ObjectWrite};
use ipfs_kit_buckets::{BucketRow, ObjectAttrs};
use ipfs_kit_unixfs::file::ImportedFile;
use ipfs_kit_unixfs::{EntryKind, Node};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use crate::answers::from_bucket;
use crate::body::{BodyReader, read_small};
use crate::committer::{Applied, Pending};
use crate::digest::{Claims, Computed};
use crate::kit::{Kit, SMALL_BODY};
use crate::meta::Meta;
use crate::paths::{KeyPath, key_path};

/// Headers of a write's answer: the object's CID and the bucket's root after it.
pub fn written_headers(cid: Option<&cid::Cid>, bucket: &BucketRow) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(cid) = cid {
        headers.insert("x-amz-meta-cid", HeaderValue::from_str(&cid.to_string()).expect("a CID is a header value"));
    }
    headers
        .insert("x-ipfs-kit-root", HeaderValue::from_str(&bucket.root.to_string()).expect("a CID is a header value"));
    headers
}

/// The one outcome of a single-change job.
pub fn single(applied: Applied) -> S3Result<(BucketRow, Option<ObjectWrite>)> {
    let outcome = applied.outcomes.into_iter().next().expect("one change, one outcome");
    Ok((applied.bucket, outcome.map_err(from_bucket)?))
}

/// Makes sure the bucket exists before a body is read (with `Expect: 100-continue` the client
/// has not sent it yet).
pub async fn require_bucket(kit: &Kit, bucket: &str) -> S3Result<()> {
    let name = bucket.to_owned();
    kit.read(move |b| b.info(&name).map(drop).map_err(from_bucket)).await
}

/// The change that deletes `key`: a file key never removes a directory, a folder key only an
/// empty one (S3 keys `a` and `a/` are different objects).
fn delete_of(target: &KeyPath) -> ObjectChange {
    match target {
        KeyPath::File(path) => ObjectChange::Delete(path.clone()),
        KeyPath::Folder(path) => ObjectChange::RmDir(path.clone()),
    }
}

/// The metadata of a new object from its request's headers.
pub fn meta_of(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    metadata: Option<Metadata>,
) -> Meta {
    let user = metadata.unwrap_or_default().into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    Meta { content_type, content_encoding, content_disposition, content_language, cache_control, user }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// A body turned into blocks (or kept for the committer), with what it hashed to.
pub struct Received {
    pub pending: Pending,
    pub pins: Vec<BlockPin>,
    pub computed: Computed,
    /// The memory a small body holds until it is applied.
    pub room: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Reads and verifies a body for a write at `path`: small bodies whole (imported later by the
/// committer with others), large ones streamed into their own pack on the blocking pool.
pub async fn receive(
    kit: &Arc<Kit>,
    bucket: &str,
    body: Option<StreamingBlob>,
    claims: Claims,
    mut write: ObjectWrite,
) -> S3Result<Received> {
    check_length(kit, &claims)?;
    if claims.length.is_some_and(|n| n <= SMALL_BODY) {
        let mut digests = claims.digests();
        let room = kit.small_slot(claims.length.unwrap_or(0)).await?;
        let bytes = read_small(body, &mut digests, SMALL_BODY, kit.limits.read_stall).await?;
        let computed = claims.verify(digests.finish())?;
        write.attrs.md5 = Some(computed.md5);
        return Ok(Received {
            pending: Pending::Small { body: bytes, write: Box::new(write) },
            pins: Vec::new(),
            computed,
            room: Some(room),
        });
    }
    let (imported, pin, computed) = import_body(kit, bucket, body, claims).await?;
    write.node = imported.node;
    write.sha256 = imported.sha256;
    write.attrs.md5 = Some(computed.md5);
    Ok(Received { pending: Pending::Ready(ObjectChange::Put(Box::new(write))), pins: vec![pin], computed, room: None })
}

/// `EntityTooLarge` for a declared length over the limit, before any byte is read (with
/// `Expect: 100-continue` the client then sends nothing).
fn check_length(kit: &Kit, claims: &Claims) -> S3Result<()> {
    let limit = kit.limits.max_object_size;
    match claims.length {
        Some(n) if n > limit => Err(s3_error!(EntityTooLarge, "the body is larger than {limit} bytes")),
        _ => Ok(()),
    }
}

/// Streams a body into a pack of its own on the blocking pool (after waiting for an upload
/// slot), and commits it only once every digest matched. The pin keeps `gc` off the blocks
/// until the caller has referenced them.
pub async fn import_body(
    kit: &Arc<Kit>,
    bucket: &str,
    body: Option<StreamingBlob>,
    claims: Claims,
) -> S3Result<(ImportedFile, BlockPin, Computed)> {
    check_length(kit, &claims)?;
    let limit = kit.limits.max_object_size;
    let _slot = kit.upload_slot().await?;
    let name = bucket.to_owned();
    let stall = kit.limits.read_stall;
    kit.import(move |buckets| {
        let profile = buckets.profile(&name).map_err(from_bucket)?;
        let mut reader = BodyReader::new(body, claims.digests(), limit, stall);
        let mut blocks = buckets.object_blocks().map_err(from_bucket)?;
        let imported = blocks.import(&profile, &mut reader, claims.length);
        if let Some(failure) = reader.failure.take() {
            return Err(failure);
        }
        let imported = imported.map_err(from_bucket)?;
        let computed = claims.verify(reader.digests.finish())?;
        let pin = blocks.commit().map_err(from_bucket)?;
        Ok((imported, pin, computed))
    })
    .await
}

/// An `ObjectWrite` to be filled in by `receive`.
pub fn new_write(path: String, meta: &Meta) -> ObjectWrite {
    ObjectWrite {
        path,
        node: Node { cid: cid::Cid::default(), filesize: 0, tsize: 0 },
        sha256: None,
        attrs: ObjectAttrs { md5: None, parts: None, meta: meta.encode() },
        mtime: meta.mtime().unwrap_or_else(now_secs),
        completes: None,
    }
}

pub async fn put_object(kit: &Arc<Kit>, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
    let headers = req.headers;
    let trailer = req.trailing_headers;
    let input = req.input;
    let target = key_path(&input.key)?;
    require_bucket(kit, &input.bucket).await?;
    if input.if_none_match.as_ref().is_some_and(|c| c.is_any()) {
        let (name, path) = (input.bucket.clone(), target.path().to_owned());
        if kit.read(move |b| Ok(b.entry(&name, &path).is_ok())).await? {
            return Err(s3_error!(PreconditionFailed, "an object of this key exists (If-None-Match: *)"));
        }
    }
    let claims = crate::digest::claims_of!(input, &headers, trailer)?;
    if let KeyPath::Folder(path) = &target {
        // A folder marker: an empty body makes the directory.
        if input.content_length.is_some_and(|n| n > 0) {
            return Err(s3_error!(
                InvalidArgument,
                "key {:?} ends in '/', which names a folder here: it takes no body",
                input.key
            ));
        }
        let mut digests = claims.digests();
        let bytes = read_small(input.body, &mut digests, 0, kit.limits.read_stall).await?;
        debug_assert!(bytes.is_empty());
        let computed = claims.verify(digests.finish())?;
        let applied = kit
            .committer
            .apply(&input.bucket, vec![Pending::Ready(ObjectChange::MkDir(path.clone()))], Vec::new())
            .await
            .map_err(from_bucket)?;
        let (bucket, _) = single(applied)?;
        let output = PutObjectOutput { e_tag: Some(ETag::Strong(hex::encode(computed.md5))), ..Default::default() };
        return Ok(S3Response::with_headers(output, written_headers(None, &bucket)));
    }
    let meta = meta_of(
        input.content_type,
        input.content_encoding,
        input.content_disposition,
        input.content_language,
        input.cache_control,
        input.metadata,
    );
    let write = new_write(target.path().to_owned(), &meta);
    let received = receive(kit, &input.bucket, input.body, claims, write).await?;
    let applied =
        kit.committer.apply(&input.bucket, vec![received.pending], received.pins).await.map_err(from_bucket)?;
    drop(received.room);
    let (bucket, written) = single(applied)?;
    let written = written.ok_or_else(|| s3_error!(InternalError, "the put was not applied"))?;
    let c = received.computed.checksum;
    let output = PutObjectOutput {
        e_tag: Some(ETag::Strong(hex::encode(received.computed.md5))),
        checksum_crc32: c.checksum_crc32,
        checksum_crc32c: c.checksum_crc32c,
        checksum_sha1: c.checksum_sha1,
        checksum_sha256: c.checksum_sha256,
        checksum_crc64nvme: c.checksum_crc64nvme,
        size: Some(received.computed.len as i64),
        ..Default::default()
    };
    Ok(S3Response::with_headers(output, written_headers(Some(&written.node.cid), &bucket)))
}

pub async fn delete_object(
    kit: &Arc<Kit>,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let input = req.input;
    let target = key_path(&input.key)?;
    require_bucket(kit, &input.bucket).await?;
    let change = delete_of(&target);
    let applied =
        kit.committer.apply(&input.bucket, vec![Pending::Ready(change)], Vec::new()).await.map_err(from_bucket)?;
    let (bucket, _) = single(applied)?;
    let mut response = S3Response::with_status(DeleteObjectOutput::default(), http::StatusCode::NO_CONTENT);
    response.headers = written_headers(None, &bucket);
    Ok(response)
}

pub async fn delete_objects(
    kit: &Arc<Kit>,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let input = req.input;
    require_bucket(kit, &input.bucket).await?;
    let quiet = input.delete.quiet.unwrap_or(false);
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    let mut keys = Vec::new();
    for object in input.delete.objects {
        match key_path(&object.key) {
            Ok(target) => {
                changes.push(Pending::Ready(delete_of(&target)));
                keys.push(object.key);
            }
            Err(e) => errors.push(Error {
                key: Some(object.key),
                code: Some(e.code().as_str().to_owned()),
                message: e.message().map(str::to_owned),
                version_id: None,
            }),
        }
    }
    let mut headers = HeaderMap::new();
    if !changes.is_empty() {
        let applied = kit.committer.apply(&input.bucket, changes, Vec::new()).await.map_err(from_bucket)?;
        headers = written_headers(None, &applied.bucket);
        for (key, outcome) in keys.into_iter().zip(applied.outcomes) {
            match outcome {
                Ok(_) => {
                    if !quiet {
                        deleted.push(DeletedObject { key: Some(key), ..Default::default() });
                    }
                }
                Err(e) => {
                    let e = from_bucket(e);
                    errors.push(Error {
                        key: Some(key),
                        code: Some(e.code().as_str().to_owned()),
                        message: e.message().map(str::to_owned),
                        version_id: None,
                    });
                }
            }
        }
    }
    let output = DeleteObjectsOutput { deleted: Some(deleted), errors: Some(errors), ..Default::default() };
    Ok(S3Response::with_headers(output, headers))
}

pub async fn copy_object(kit: &Arc<Kit>, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
    let input = req.input;
    let CopySource::Bucket { bucket: from_bucket_name, key: from_key, .. } = &input.copy_source else {
        return Err(s3_error!(NotImplemented, "copying from an access point is not supported"));
    };
    let (from_bucket_name, from_key) = (from_bucket_name.to_string(), from_key.to_string());
    let source_path = key_path(&from_key)?;
    let target = key_path(&input.key)?;
    let KeyPath::File(path) = target else {
        return Err(s3_error!(InvalidArgument, "a copy cannot make a folder"));
    };
    require_bucket(kit, &input.bucket).await?;
    let replace = input.metadata_directive.as_ref().is_some_and(|d| d.as_str().eq_ignore_ascii_case("REPLACE"));
    if !replace && from_bucket_name == input.bucket && source_path.path() == path {
        return Err(s3_error!(
            InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata"
        ));
    }
    let (sb, sp, db) = (from_bucket_name.clone(), source_path.path().to_owned(), input.bucket.clone());
    let (source, same_profile) = kit
        .read(move |b| {
            let entry = b.entry(&sb, &sp).map_err(from_bucket)?;
            let same = b.info(&sb).map_err(from_bucket)?.row.profile == b.info(&db).map_err(from_bucket)?.row.profile;
            Ok((entry, same))
        })
        .await?;
    if source.kind != EntryKind::File {
        return Err(s3_error!(NoSuchKey));
    }
    crate::read::check_copy_conditions(&input, &source)?;
    if !same_profile {
        return Err(s3_error!(NotImplemented, "copying between buckets of different import profiles is not supported"));
    }
    let meta = if replace {
        meta_of(
            input.content_type,
            input.content_encoding,
            input.content_disposition,
            input.content_language,
            input.cache_control,
            input.metadata,
        )
    } else {
        Meta::of(&source)
    };
    // A file from `bucket add` has no MD5: its copy keeps the ETag such files get.
    let attrs = ObjectAttrs {
        md5: source.object.as_ref().and_then(|a| a.md5),
        parts: source.object.as_ref().and_then(|a| a.parts),
        meta: meta.encode(),
    };
    let write = ObjectWrite {
        path,
        node: Node { cid: source.cid, filesize: source.size, tsize: source.tsize },
        sha256: source.content_hash,
        mtime: meta.mtime().unwrap_or(source.mtime),
        attrs,
        completes: None,
    };
    let etag = crate::meta::etag_of(Some(&write.attrs), write.sha256.as_ref(), &write.node.cid);
    let cid = write.node.cid;
    let applied = kit
        .committer
        .apply(&input.bucket, vec![Pending::Ready(ObjectChange::Put(Box::new(write)))], Vec::new())
        .await
        .map_err(from_bucket)?;
    let (row, _) = single(applied)?;
    let result = CopyObjectResult {
        e_tag: Some(ETag::Strong(etag)),
        last_modified: Some(crate::meta::parse_time(&row.updated_at)),
        ..Default::default()
    };
    let output = CopyObjectOutput { copy_object_result: Some(result), ..Default::default() };
    Ok(S3Response::with_headers(output, written_headers(Some(&cid), &row)))
}
