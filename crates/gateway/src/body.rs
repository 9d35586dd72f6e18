//! Streaming answers: a producer on the read pool makes the body a chunk at a time, and the
//! connection pulls it. The channel between them holds a few pieces, so a slow client costs
//! no thread and about one chunk of memory, and a client that leaves stops the producer.
//!
//! A producer that fails mid-stream (a block `gc` removed, a store fault) ends the body with
//! an error, so the connection is cut instead of finishing a response that looks complete.

use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use ipfs_kit_buckets::Buckets;
use tokio::sync::mpsc;

use crate::headers::Reject;
use crate::served::Served;

/// How many bytes one step of a producer makes.
pub const CHUNK: usize = 1 << 20;

/// A body made by calling `step` on the read pool until it returns `None`.
pub fn stream<S, F>(served: Arc<Served>, state: S, step: F) -> Body
where
    S: Send + 'static,
    F: Fn(&mut S, &Buckets) -> Result<Option<Vec<Bytes>>, Reject> + Send + Sync + Copy + 'static,
{
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut state = state;
        loop {
            let worker = served.clone();
            let joined = tokio::task::spawn_blocking(move || {
                let result = worker.with_home(|home| step(&mut state, home));
                (state, result)
            })
            .await;
            let result = match joined {
                Ok((back, result)) => {
                    state = back;
                    result
                }
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(format!("a read thread failed: {e}")))).await;
                    return;
                }
            };
            match result {
                Ok(Some(pieces)) => {
                    for piece in pieces {
                        if tx.send(Ok(piece)).await.is_err() {
                            return; // the client left
                        }
                    }
                }
                Ok(None) => return,
                Err(reject) => {
                    if served.log {
                        eprintln!("ipfs-kit serve: response cut short: {}", reject.message);
                    }
                    let _ = tx.send(Err(std::io::Error::other(reject.message))).await;
                    return;
                }
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}
