//! From our errors to the S3 errors a client understands. Internal details (paths, store
//! errors) go to stderr, not to the client.

use ipfs_kit_buckets::BucketError;
use s3s::{S3Error, S3ErrorCode, s3_error};

/// The S3 error for a failed bucket operation.
pub fn from_bucket(err: BucketError) -> S3Error {
    match &err {
        BucketError::NoSuchBucket(_) => s3_error!(NoSuchBucket),
        BucketError::NoSuchPath { .. } => s3_error!(NoSuchKey),
        BucketError::NoSuchUpload(_) => s3_error!(NoSuchUpload),
        BucketError::BucketExists(_) => s3_error!(BucketAlreadyOwnedByYou),
        BucketError::BadName { .. } | BucketError::CaseClash { .. } => {
            S3Error::with_message(S3ErrorCode::InvalidBucketName, err.to_string())
        }
        BucketError::BadPath { .. } => S3Error::with_message(S3ErrorCode::InvalidArgument, err.to_string()),
        BucketError::WrongKind { .. } | BucketError::PathExists { .. } => conflict(err.to_string()),
        BucketError::ReadOnlyHome(_) => S3Error::with_message(S3ErrorCode::AccessDenied, "the home is read-only"),
        BucketError::Store(
            ipfs_kit_blockstore::StoreError::Locked { .. } | ipfs_kit_blockstore::StoreError::Collecting,
        ) => S3Error::with_message(S3ErrorCode::SlowDown, "the home is busy (gc or another writer); retry"),
        _ => internal(&err),
    }
}

/// 409: a key that cannot be a path of the bucket's tree next to the keys already there (a
/// file where a directory is, or the reverse), which S3 itself would allow.
pub fn conflict(message: String) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::Custom("ObjectPathConflict".into()), message);
    e.set_status_code(http::StatusCode::CONFLICT);
    e
}

/// 500, with the detail logged rather than sent.
pub fn internal(err: &dyn std::error::Error) -> S3Error {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    eprintln!("ipfs-kit serve --s3: internal error: {text}");
    s3_error!(InternalError, "internal error (see the server's log)")
}
