//! The HTTP/1.1 server loop that `ipfs-kit serve`'s listeners share (the gateway and the S3
//! endpoint): bounded connections, timeouts that drop idle and stalled clients, and one
//! graceful stop on SIGINT or SIGTERM for every listener of the process.
//!
//! Bounds, so that no client can take a server down ([`Limits`]): at most `max_connections`
//! connections are served at once per listener (others wait in the kernel's accept queue); a
//! request head must arrive within `header_timeout`; a response the client stops reading for
//! `write_stall` is dropped (`Stalling`: hyper has no write timeout).
//!
//! Layering: below the servers (`ipfs-kit-gateway`, `ipfs-kit-s3`), knowing nothing of them;
//! the CLI composes them with [`run`].

mod accept;
mod stalling;
mod stop;

pub use accept::{Limits, accept_loop};
pub use stalling::Stalling;
pub use stop::Stop;

use std::future::Future;
use std::io;
use std::pin::Pin;

/// A server's whole life as one future: it accepts until the [`Stop`] fires, then drains.
pub type Serving = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Builds the runtime (at most `blocking_threads` threads for blocking work: store reads and
/// imports), calls `servers` inside it with the process's stop signal, and runs what it returns
/// until all have stopped. Listeners are bound before (std sockets, so bind errors are reported
/// before anything runs) and turned into tokio ones inside `servers`.
pub fn run(blocking_threads: usize, servers: impl FnOnce(Stop) -> Vec<Serving>) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(blocking_threads.max(1))
        .thread_name("ipfs-kit-serve")
        .build()?;
    runtime.block_on(async move {
        let stop = Stop::on_signal();
        futures_util::future::join_all(servers(stop)).await;
    });
    Ok(())
}
