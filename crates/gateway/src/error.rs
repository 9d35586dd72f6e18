//! Errors that stop the server from starting or running. Errors of one request are HTTP
//! answers (`headers::Reject`), never these.

use std::net::SocketAddr;

use ipfs_kit_buckets::BucketError;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("{0} is not a loopback address: serving on it needs --public (and --bucket to name what is served)")]
    NotLoopback(SocketAddr),
    #[error("--public serves only the buckets it names: add --bucket NAME")]
    PublicNeedsBuckets,
    // The CLI prints the source after the message (`{:#}`), so it is not repeated here.
    #[error("cannot listen on {addr}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("no bucket named {0:?} to serve")]
    NoSuchBucket(String),
    #[error(transparent)]
    Home(#[from] BucketError),
    #[error("cannot start the server runtime")]
    Runtime(#[source] std::io::Error),
}
