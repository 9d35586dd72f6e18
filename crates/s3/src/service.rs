//! The `S3` trait over a home: one line per operation, each calling the module that does it.
//! Operations not listed answer `NotImplemented` (s3s's default); `docs/s3.md` lists both.

use std::sync::Arc;

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};

use crate::kit::Kit;
use crate::{bucket_ops, multipart, read, write};

pub struct S3Kit(pub Arc<Kit>);

type R<T> = S3Result<S3Response<T>>;

#[async_trait::async_trait]
impl S3 for S3Kit {
    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> R<ListBucketsOutput> {
        bucket_ops::list_buckets(&self.0, req).await
    }
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> R<CreateBucketOutput> {
        bucket_ops::create_bucket(&self.0, req).await
    }
    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> R<HeadBucketOutput> {
        bucket_ops::head_bucket(&self.0, req).await
    }
    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> R<DeleteBucketOutput> {
        bucket_ops::delete_bucket(&self.0, req).await
    }
    async fn get_bucket_location(&self, req: S3Request<GetBucketLocationInput>) -> R<GetBucketLocationOutput> {
        bucket_ops::get_bucket_location(&self.0, req).await
    }
    async fn get_bucket_versioning(&self, req: S3Request<GetBucketVersioningInput>) -> R<GetBucketVersioningOutput> {
        bucket_ops::get_bucket_versioning(&self.0, req).await
    }
    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> R<ListObjectsOutput> {
        bucket_ops::list_objects(&self.0, req).await
    }
    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> R<ListObjectsV2Output> {
        bucket_ops::list_objects_v2(&self.0, req).await
    }
    async fn put_object(&self, req: S3Request<PutObjectInput>) -> R<PutObjectOutput> {
        write::put_object(&self.0, req).await
    }
    async fn get_object(&self, req: S3Request<GetObjectInput>) -> R<GetObjectOutput> {
        read::get_object(&self.0, req).await
    }
    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> R<HeadObjectOutput> {
        read::head_object(&self.0, req).await
    }
    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> R<DeleteObjectOutput> {
        write::delete_object(&self.0, req).await
    }
    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> R<DeleteObjectsOutput> {
        write::delete_objects(&self.0, req).await
    }
    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> R<CopyObjectOutput> {
        write::copy_object(&self.0, req).await
    }
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> R<CreateMultipartUploadOutput> {
        multipart::create(&self.0, req).await
    }
    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> R<UploadPartOutput> {
        multipart::upload_part(&self.0, req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> R<CompleteMultipartUploadOutput> {
        multipart::complete(&self.0, req).await
    }
    async fn abort_multipart_upload(&self, req: S3Request<AbortMultipartUploadInput>) -> R<AbortMultipartUploadOutput> {
        multipart::abort(&self.0, req).await
    }
    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> R<ListPartsOutput> {
        multipart::list_parts(&self.0, req).await
    }
    async fn list_multipart_uploads(&self, req: S3Request<ListMultipartUploadsInput>) -> R<ListMultipartUploadsOutput> {
        multipart::list_uploads(&self.0, req).await
    }
}

#[cfg(test)]
mod tests {
    /// `docs/s3.md`'s compatibility table lists exactly the operations implemented here as
    /// supported, and nothing implemented is missing from it.
    #[test]
    fn the_compatibility_table_matches_the_implementation() {
        let source = include_str!("service.rs");
        let body = &source[..source.find("#[cfg(test)]").expect("the tests follow the impl")];
        let implemented: std::collections::BTreeSet<String> = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("async fn "))
            .map(|l| l.split('(').next().expect("a name").split('_').map(pascal).collect())
            .collect();
        let docs = include_str!("../../../docs/s3.md");
        let table = &docs[docs.find("## Compatibility").expect("a compatibility section")..];
        let mut supported = std::collections::BTreeSet::new();
        for row in table.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| operation")) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            match cells[2] {
                "supported" | "partial" => {
                    supported.insert(cells[1].to_owned());
                }
                "not supported" => {
                    for op in cells[1].split(", ") {
                        assert!(!implemented.contains(op), "{op} is implemented but listed as not supported");
                    }
                }
                other => panic!("unknown status {other:?} in row {row:?}"),
            }
        }
        assert_eq!(supported, implemented, "docs/s3.md's supported rows and the S3 impl differ");
    }

    fn pascal(word: &str) -> String {
        let mut chars = word.chars();
        let first = chars.next().map(|c| c.to_ascii_uppercase()).into_iter();
        first.chain(chars).collect()
    }
}
