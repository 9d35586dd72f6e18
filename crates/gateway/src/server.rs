//! Binding the gateway's socket and serving it with the shared loop of `ipfs-kit-http`
//! (bounded connections, header and write-stall timeouts, graceful stop).

use std::net::SocketAddr;
use std::sync::Arc;

use ipfs_kit_buckets::Buckets;
use ipfs_kit_http::{Serving, Stop};

use crate::config::{Limits, ServeConfig};
use crate::error::GatewayError;
use crate::served::Served;

/// A gateway whose socket is bound, ready to be served.
pub struct Bound {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    served: Arc<Served>,
    limits: Limits,
}

/// Checks the configuration and the home, and binds the socket: every error a user can make
/// is reported here, before anything runs.
pub fn bind(config: ServeConfig) -> Result<Bound, GatewayError> {
    config.check()?;
    {
        let home = Buckets::open_existing(config.home.clone())?;
        for name in &config.buckets {
            if home.info(name).is_err() {
                return Err(GatewayError::NoSuchBucket(name.clone()));
            }
        }
    }
    let listener = std::net::TcpListener::bind(config.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|source| GatewayError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| GatewayError::Bind { addr: config.listen, source })?;
    let served = Arc::new(Served::new(&config, addr, crate::routing::new_peer_id()));
    Ok(Bound { listener, addr, served, limits: config.limits })
}

impl Bound {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Threads the gateway's store reads may use (the runtime's blocking pool).
    pub fn read_threads(&self) -> usize {
        self.limits.read_threads
    }

    /// Serves until `stop` fires. Must be called inside the runtime of `ipfs_kit_http::run`.
    pub fn serving(self, stop: Stop) -> Serving {
        let router = crate::routes::router(self.served);
        let service = hyper_util::service::TowerToHyperService::new(router);
        let limits = ipfs_kit_http::Limits {
            max_connections: self.limits.max_connections,
            header_timeout: self.limits.header_timeout,
            write_stall: self.limits.write_stall,
        };
        let listener = self.listener;
        Box::pin(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => ipfs_kit_http::accept_loop(listener, service, limits, stop).await,
                Err(err) => eprintln!("ipfs-kit serve: the gateway socket: {err}"),
            }
        })
    }
}

/// Serves the gateway alone until SIGINT or SIGTERM. `on_listening` is called with the bound
/// address once the socket accepts connections (the CLI prints it).
pub fn serve(config: ServeConfig, on_listening: impl FnOnce(SocketAddr)) -> Result<(), GatewayError> {
    let bound = bind(config)?;
    on_listening(bound.addr());
    let threads = bound.read_threads();
    ipfs_kit_http::run(threads, |stop| vec![bound.serving(stop)]).map_err(GatewayError::Runtime)
}
