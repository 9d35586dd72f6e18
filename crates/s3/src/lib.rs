//! `ipfs-kit serve --s3`: an S3-compatible endpoint over a home's buckets, so boto3, the aws
//! CLI, rclone and anything else that speaks S3 can read and write them.
//!
//! Every ipfs-kit bucket is an S3 bucket; an object key is a path in it (`paths`). A PUT is an
//! add of one file: the object gets its real UnixFS CID, and the bucket's root, catalog,
//! Parquet index and next snapshot follow, as after `bucket add`. The protocol (SigV4 and
//! SigV2, aws-chunked bodies, XML, errors) is the `s3s` crate's; this crate implements its
//! `S3` trait over `ipfs-kit-buckets` (`service`) and adds what s3s leaves to its users: body
//! size limits, checks of every digest a client claims (`digest`), a bound on concurrent
//! uploads with back-pressure (`kit`), and batched catalog commits (`committer`).
//!
//! Layering: beside `ipfs-kit-gateway` (neither knows the other), above `ipfs-kit-buckets` and
//! `ipfs-kit-http` (whose connection loop it shares); the CLI composes them.

mod answers;
mod auth;
mod body;
mod bucket_ops;
mod committer;
mod digest;
pub mod error;
pub mod keys;
mod kit;
mod listing;
mod meta;
mod multipart;
mod paths;
mod read;
mod service;
mod write;

use std::net::SocketAddr;
use std::sync::Arc;

use ipfs_kit_buckets::{Buckets, Home};
use ipfs_kit_http::{Serving, Stop};

pub use error::{KeyError, S3StartError};
pub use kit::S3Limits;

/// The only region: what clients sign with and what `GetBucketLocation` implies.
pub const REGION: &str = "us-east-1";

/// What `serve --s3` is asked to do.
#[derive(Clone)]
pub struct S3Config {
    pub home: Home,
    pub listen: SocketAddr,
    /// Needed for any address that is not loopback.
    pub public: bool,
    pub limits: S3Limits,
    pub connections: ipfs_kit_http::Limits,
}

impl S3Config {
    pub fn new(home: Home, listen: SocketAddr) -> Self {
        S3Config {
            home,
            listen,
            public: false,
            limits: S3Limits::default(),
            connections: ipfs_kit_http::Limits { max_connections: 256, ..ipfs_kit_http::Limits::default() },
        }
    }
}

/// An endpoint whose socket is bound, ready to be served.
pub struct Bound {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    kit: Arc<kit::Kit>,
    connections: ipfs_kit_http::Limits,
}

/// Checks the configuration, the home and the keys, starts the committer and binds the socket:
/// every error a user can make is reported here, before anything runs.
pub fn bind(config: S3Config) -> Result<Bound, S3StartError> {
    if !config.listen.ip().is_loopback() && !config.public {
        return Err(S3StartError::NotLoopback(config.listen));
    }
    // The home must exist and be writable; a read-only one is refused by `open`.
    Buckets::open_existing(config.home.clone())?;
    Buckets::open(config.home.clone())?.expire_uploads()?;
    let keys = Arc::new(keys::KeyRing::open(config.home.root())?);
    if keys.is_empty() {
        return Err(S3StartError::NoKeys);
    }
    let listener = std::net::TcpListener::bind(config.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|source| S3StartError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| S3StartError::Bind { addr: config.listen, source })?;
    let committer = committer::Committer::start(config.home.clone())?;
    let kit = Arc::new(kit::Kit::new(config.home, keys, committer, config.limits));
    Ok(Bound { listener, addr, kit, connections: config.connections })
}

impl Bound {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `stop` fires. Must be called inside the runtime of `ipfs_kit_http::run`.
    pub fn serving(self, stop: Stop) -> Serving {
        let mut builder = s3s::service::S3ServiceBuilder::new(service::S3Kit(self.kit.clone()));
        builder.set_auth(auth::Keys(self.kit.keys.clone()));
        builder.set_access(auth::Policy(self.kit.keys.clone()));
        builder.set_validation(auth::KitNames);
        let mut config = s3s::config::S3Config::default();
        // DeleteObjects of 1000 keys of 1024 bytes is about 1.1 MB of XML.
        config.xml_max_body_size = 2 << 20;
        builder.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(config))));
        let service = builder.build();
        let listener = self.listener;
        let limits = self.connections;
        let kit = self.kit;
        Box::pin(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => ipfs_kit_http::accept_loop(listener, service, limits, stop).await,
                Err(err) => eprintln!("ipfs-kit serve --s3: the S3 socket: {err}"),
            }
            // The indexes the committer left stale are written before the process ends.
            kit.committer.flush().await;
        })
    }
}
