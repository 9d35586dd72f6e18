//! Multipart uploads. Each part is imported as it arrives into a file DAG of its own (blocks
//! committed, then its row in the catalog's `upload_parts`, under the block pin), so nothing is
//! buffered whole and an upload survives a restart. Complete checks the list it is given
//! against the parts received, builds the object from them and writes its entry and drops the
//! upload in one catalog transaction (`ObjectWrite::completes`).

use std::io::Read;
use std::sync::Arc;

use ipfs_kit_buckets::ObjectAttrs;
use ipfs_kit_buckets::objects::ObjectChange;
use ipfs_kit_buckets::uploads::{Part as StoredPart, Upload};
use s3s::crypto::{Checksum as _, Md5, Sha256};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use crate::answers::from_bucket;
use crate::committer::Pending;
use crate::kit::Kit;
use crate::meta::parse_time;
use crate::paths::{KeyPath, key_path};
use crate::write::{import_body, meta_of, new_write, require_bucket, single, written_headers};

/// S3's bounds: parts 1..=10000, each but the last at least 5 MiB.
const MAX_PART: i32 = 10_000;
const MIN_PART_SIZE: u64 = 5 << 20;

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).expect("a time formats")
}

/// The upload `id` of `bucket`/`key`, or `NoSuchUpload`.
async fn upload_of(kit: &Kit, bucket: &str, key: &str, id: &str) -> S3Result<Upload> {
    let id = id.to_owned();
    let upload = kit.read(move |b| b.upload(&id).map_err(from_bucket)).await?;
    match upload {
        Some(u) if u.bucket == bucket && u.key == key => Ok(u),
        _ => Err(s3_error!(NoSuchUpload)),
    }
}

pub async fn create(
    kit: &Arc<Kit>,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let input = req.input;
    let KeyPath::File(_) = key_path(&input.key)? else {
        return Err(s3_error!(InvalidArgument, "a folder key cannot be uploaded in parts"));
    };
    require_bucket(kit, &input.bucket).await?;
    let meta = meta_of(
        input.content_type,
        input.content_encoding,
        input.content_disposition,
        input.content_language,
        input.cache_control,
        input.metadata,
    );
    let upload = Upload {
        id: crate::keys::random_id(),
        bucket: input.bucket.clone(),
        key: input.key.clone(),
        meta: meta.encode(),
        initiated: now(),
    };
    let id = upload.id.clone();
    kit.import(move |b| b.create_upload(&upload).map_err(from_bucket)).await?;
    let output = CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(id),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn upload_part(kit: &Arc<Kit>, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
    let headers = req.headers;
    let trailer = req.trailing_headers;
    let input = req.input;
    if !(1..=MAX_PART).contains(&input.part_number) {
        return Err(s3_error!(InvalidArgument, "part numbers are 1 to {MAX_PART}"));
    }
    upload_of(kit, &input.bucket, &input.key, &input.upload_id).await?;
    let claims = crate::digest::claims_of!(input, &headers, trailer)?;
    let (imported, pin, computed) = import_body(kit, &input.bucket, input.body, claims).await?;
    let part = StoredPart { number: input.part_number as u32, node: imported.node, md5: computed.md5, at: now() };
    let id = input.upload_id.clone();
    kit.import(move |b| {
        let result = b.put_part(&id, &part).map_err(from_bucket);
        drop(pin);
        result
    })
    .await?;
    let c = computed.checksum;
    let output = UploadPartOutput {
        e_tag: Some(ETag::Strong(hex::encode(computed.md5))),
        checksum_crc32: c.checksum_crc32,
        checksum_crc32c: c.checksum_crc32c,
        checksum_sha1: c.checksum_sha1,
        checksum_sha256: c.checksum_sha256,
        checksum_crc64nvme: c.checksum_crc64nvme,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

/// The parts named by a Complete, checked against those received, in order.
fn chosen_parts(asked: &[CompletedPart], received: &[StoredPart]) -> S3Result<Vec<StoredPart>> {
    if asked.is_empty() {
        return Err(s3_error!(MalformedXML, "a Complete must name at least one part"));
    }
    let mut chosen = Vec::with_capacity(asked.len());
    let mut last = 0;
    for part in asked {
        let number = part.part_number.ok_or_else(|| s3_error!(InvalidPart, "a part without a PartNumber"))?;
        if number <= last {
            return Err(s3_error!(InvalidPartOrder));
        }
        last = number;
        let stored = received
            .iter()
            .find(|p| p.number as i32 == number)
            .ok_or_else(|| s3_error!(InvalidPart, "part {number} was never uploaded"))?;
        if let Some(etag) = &part.e_tag
            && etag.value().trim_matches('"') != hex::encode(stored.md5)
        {
            return Err(s3_error!(InvalidPart, "part {number} has another ETag"));
        }
        chosen.push(stored.clone());
    }
    for part in &chosen[..chosen.len() - 1] {
        if part.node.filesize < MIN_PART_SIZE {
            return Err(s3_error!(EntityTooSmall, "part {} is smaller than 5 MiB and not the last", part.number));
        }
    }
    Ok(chosen)
}

pub async fn complete(
    kit: &Arc<Kit>,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let input = req.input;
    let target = key_path(&input.key)?;
    let asked = input.multipart_upload.clone().and_then(|m| m.parts).unwrap_or_default();
    let upload = match upload_of(kit, &input.bucket, &input.key, &input.upload_id).await {
        Ok(upload) => upload,
        Err(e) => return completed_before(kit, &input, &asked).await.ok_or(e)?,
    };
    let id = upload.id.clone();
    let received = kit.read(move |b| b.parts(&id).map_err(from_bucket)).await?;
    let chosen = chosen_parts(&asked, &received)?;
    let mut md5s = Md5::new();
    for part in &chosen {
        md5s.update(&part.md5);
    }
    let md5: [u8; 16] = md5s.finalize().as_ref().try_into().expect("16 bytes");
    let meta = crate::meta::Meta::decode(upload.meta.as_deref());
    let mut write = new_write(target.path().to_owned(), &meta);
    write.attrs = ObjectAttrs { md5: Some(md5), parts: Some(chosen.len() as u32), meta: upload.meta.clone() };
    write.completes = Some(upload.id.clone());
    // The object's DAG is its parts' leaves under new inner nodes when the parts are whole
    // chunks (awscli's 8 MiB and rclone's 5 MiB parts are), else the bytes are imported again:
    // either way its CID is the one `ipfs-kit hash` gives for the whole file.
    let name = input.bucket.clone();
    let (write, pin) = kit
        .import(move |b| {
            let profile = b.profile(&name).map_err(from_bucket)?;
            let nodes: Vec<ipfs_kit_unixfs::Node> = chosen.iter().map(|p| p.node).collect();
            let total: u64 = nodes.iter().map(|n| n.filesize).sum();
            let mut blocks = b.object_blocks().map_err(from_bucket)?;
            let cids: Vec<cid::Cid> = nodes.iter().map(|n| n.cid).collect();
            let mut parts = PartsReader { store: b.store(), parts: cids, at: 0, current: None };
            match blocks.join(&profile, &nodes, b.store()).map_err(from_bucket)? {
                Some(node) => {
                    write.node = node;
                    write.sha256 = Some(sha256_of(&mut parts)?);
                }
                None => {
                    let imported = blocks.import(&profile, &mut parts, Some(total)).map_err(from_bucket)?;
                    write.node = imported.node;
                    write.sha256 = imported.sha256;
                }
            }
            let pin = blocks.commit().map_err(from_bucket)?;
            Ok((write, pin))
        })
        .await?;
    let cid = write.node.cid;
    let applied = kit
        .committer
        .apply(&input.bucket, vec![Pending::Ready(ObjectChange::Put(Box::new(write)))], vec![pin])
        .await
        .map_err(from_bucket)?;
    let (bucket, _) = single(applied)?;
    let output = CompleteMultipartUploadOutput {
        bucket: Some(input.bucket.clone()),
        key: Some(input.key.clone()),
        e_tag: Some(ETag::Strong(format!("{}-{}", hex::encode(md5), asked.len()))),
        location: Some(format!("/{}/{}", input.bucket, input.key)),
        ..Default::default()
    };
    Ok(S3Response::with_headers(output, written_headers(Some(&cid), &bucket)))
}

/// `md5(md5 of each part)` from the ETags a Complete names (hex MD5s), if they all are.
fn md5_of_etags(asked: &[CompletedPart]) -> Option<[u8; 16]> {
    let mut md5s = Md5::new();
    for part in asked {
        let etag = part.e_tag.as_ref()?;
        md5s.update(&hex::decode(etag.value().trim_matches('"')).ok().filter(|b| b.len() == 16)?);
    }
    md5s.finalize().as_ref().try_into().ok()
}

/// A Complete sent again after it succeeded (its answer lost): the upload is gone, but if the
/// object at the key is the one these parts made (same MD5 of MD5s and part count), the answer
/// is the same as the first time.
async fn completed_before(
    kit: &Arc<Kit>,
    input: &CompleteMultipartUploadInput,
    asked: &[CompletedPart],
) -> Option<S3Result<S3Response<CompleteMultipartUploadOutput>>> {
    let md5 = md5_of_etags(asked)?;
    let entry = crate::read::object(kit, &input.bucket, &input.key).await.ok()?;
    let object = entry.object.as_ref()?;
    if object.md5 != Some(md5) || object.parts != Some(asked.len() as u32) {
        return None;
    }
    let output = CompleteMultipartUploadOutput {
        bucket: Some(input.bucket.clone()),
        key: Some(input.key.clone()),
        e_tag: Some(ETag::Strong(format!("{}-{}", hex::encode(md5), asked.len()))),
        location: Some(format!("/{}/{}", input.bucket, input.key)),
        ..Default::default()
    };
    let bucket = kit.read({
        let name = input.bucket.clone();
        move |b| b.info(&name).map(|s| s.row).map_err(from_bucket)
    });
    Some(bucket.await.map(|row| S3Response::with_headers(output, written_headers(Some(&entry.cid), &row))))
}

/// The SHA-256 of the bytes `reader` gives (the catalog's `content_hash`).
fn sha256_of(reader: &mut dyn Read) -> S3Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) => return Err(crate::answers::internal(&e)),
        }
    }
    Ok(hasher.finalize().as_ref().try_into().expect("32 bytes"))
}

/// The parts' bytes one after another, from their DAGs in the store.
struct PartsReader<'s> {
    store: &'s ipfs_kit_blockstore::BlockStore,
    parts: Vec<cid::Cid>,
    at: usize,
    current: Option<ipfs_kit_unixfs::reader::FileReader<'s>>,
}

impl Read for PartsReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.current.is_none() {
                let Some(cid) = self.parts.get(self.at) else {
                    return Ok(0);
                };
                self.at += 1;
                let reader = ipfs_kit_unixfs::DagReader::trusting(self.store);
                self.current = Some(reader.cat(cid).map_err(std::io::Error::other)?);
            }
            let n = self.current.as_mut().expect("set above").read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.current = None;
        }
    }
}

pub async fn abort(
    kit: &Arc<Kit>,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let input = req.input;
    upload_of(kit, &input.bucket, &input.key, &input.upload_id).await?;
    let id = input.upload_id.clone();
    kit.import(move |b| b.abort_upload(&id).map_err(from_bucket)).await?;
    Ok(S3Response::with_status(AbortMultipartUploadOutput::default(), http::StatusCode::NO_CONTENT))
}

pub async fn list_parts(kit: &Arc<Kit>, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
    let input = req.input;
    upload_of(kit, &input.bucket, &input.key, &input.upload_id).await?;
    let id = input.upload_id.clone();
    let all = kit.read(move |b| b.parts(&id).map_err(from_bucket)).await?;
    let marker = input.part_number_marker.unwrap_or(0);
    let max = input.max_parts.map_or(1000, |n| n.clamp(0, 1000)) as usize;
    let after: Vec<&StoredPart> = all.iter().filter(|p| p.number as i32 > marker).collect();
    let truncated = after.len() > max;
    let shown: Vec<Part> = after
        .iter()
        .take(max)
        .map(|p| Part {
            part_number: Some(p.number as i32),
            e_tag: Some(ETag::Strong(hex::encode(p.md5))),
            size: Some(p.node.filesize as i64),
            last_modified: Some(parse_time(&p.at)),
            ..Default::default()
        })
        .collect();
    let next = shown.last().and_then(|p| p.part_number);
    let output = ListPartsOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(input.upload_id),
        part_number_marker: input.part_number_marker,
        next_part_number_marker: truncated.then_some(next).flatten(),
        max_parts: Some(max as i32),
        is_truncated: Some(truncated),
        parts: Some(shown),
        ..Default::default()
    };
    Ok(S3Response::new(output))
}

pub async fn list_uploads(
    kit: &Arc<Kit>,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let input = req.input;
    require_bucket(kit, &input.bucket).await?;
    let (name, prefix) = (input.bucket.clone(), input.prefix.clone().unwrap_or_default());
    let all = kit.read(move |b| b.uploads(&name, &prefix).map_err(from_bucket)).await?;
    let key_marker = input.key_marker.clone().unwrap_or_default();
    let id_marker = input.upload_id_marker.clone().unwrap_or_default();
    let max = input.max_uploads.map_or(1000, |n| n.clamp(0, 1000)) as usize;
    let after: Vec<&Upload> = all
        .iter()
        .filter(|u| {
            key_marker.is_empty()
                || u.key > key_marker
                || (u.key == key_marker && !id_marker.is_empty() && u.id > id_marker)
        })
        .collect();
    let truncated = after.len() > max;
    let shown: Vec<&Upload> = after.into_iter().take(max).collect();
    let encode = crate::listing::encoder(input.encoding_type.as_ref().map(|e| e.as_str().to_owned()));
    let output = ListMultipartUploadsOutput {
        bucket: Some(input.bucket),
        is_truncated: Some(truncated),
        next_key_marker: truncated.then(|| shown.last().map(|u| encode(u.key.clone()))).flatten(),
        next_upload_id_marker: truncated.then(|| shown.last().map(|u| u.id.clone())).flatten(),
        uploads: Some(
            shown
                .iter()
                .map(|u| MultipartUpload {
                    key: Some(encode(u.key.clone())),
                    upload_id: Some(u.id.clone()),
                    initiated: Some(parse_time(&u.initiated)),
                    ..Default::default()
                })
                .collect(),
        ),
        prefix: input.prefix,
        key_marker: input.key_marker,
        upload_id_marker: input.upload_id_marker,
        max_uploads: Some(max as i32),
        encoding_type: input.encoding_type,
        ..Default::default()
    };
    Ok(S3Response::new(output))
}
