//! Accepting connections and serving each with hyper, within [`Limits`].

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::stalling::Stalling;
use crate::stop::Stop;

/// How long a stop waits for requests in flight before it cuts them.
const DRAIN: Duration = Duration::from_secs(10);

/// Bounds on what clients may cost one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// A request's head must arrive within this (slow-header clients are dropped).
    pub header_timeout: Duration,
    /// A response body that the client has not read from for this long is abandoned.
    pub write_stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_connections: 1024, header_timeout: Duration::from_secs(10), write_stall: Duration::from_secs(60) }
    }
}

/// Serves connections from `listener` with `service` until `stop` fires, then lets the
/// requests in flight finish for up to 10 s.
pub async fn accept_loop<S, B>(listener: TcpListener, service: S, limits: Limits, stop: Stop)
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop.wait());
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of descriptors, or a connection reset before accept: wait a moment.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Stalling::new(stream, limits.write_stall));
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(io, service.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {}
    }
}
