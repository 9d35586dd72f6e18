//! Errors that stop the S3 endpoint from starting, and errors of the key store. Errors of one
//! request are S3 error answers (`answers.rs`), never these.

use std::net::SocketAddr;
use std::path::PathBuf;

use ipfs_kit_buckets::BucketError;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{} is damaged: {reason}", path.display())]
    Damaged { path: PathBuf, reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum S3StartError {
    #[error("{0} is not a loopback address: serving S3 on it needs --public")]
    NotLoopback(SocketAddr),
    #[error("no S3 access key: create one with `ipfs-kit s3 key create` (its secret is shown once)")]
    NoKeys,
    // The CLI prints the source after the message (`{:#}`), so it is not repeated here.
    #[error("cannot listen on {addr}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Home(#[from] BucketError),
}
