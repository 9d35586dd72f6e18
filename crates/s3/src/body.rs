//! Request bodies in, object bytes out.
//!
//! In: a small body is read whole on the async side (`read_small`); a large one is read by
//! the importing thread through `BodyReader`, a blocking `Read` over the async stream, so the
//! bytes go from the socket to the hasher without a whole-object buffer. Both hash as they
//! read (`Digests`), stop past the declared length, and give up a body that sends nothing for
//! `read_stall` (hyper has no body-read timeout).
//!
//! Out: `object_body` streams a byte range of a file in 1 MiB pieces, each read on the blocking
//! pool by a fresh walk from the root (`FileReader::starting_at`), at most two pieces ahead of
//! the client: a slow reader holds no thread, and a gone one stops the reads.

use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cid::Cid;
use futures_util::{Stream, StreamExt};
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{S3Error, S3Result, StdError, s3_error};
use tokio::sync::mpsc;

use crate::digest::Digests;
use crate::kit::Kit;

const PIECE: usize = 1 << 20;

fn too_large(limit: u64) -> S3Error {
    s3_error!(EntityTooLarge, "the body is larger than {limit} bytes")
}

fn stalled() -> S3Error {
    s3_error!(RequestTimeout, "the body stopped arriving")
}

/// Reads a whole body of at most `limit` bytes.
pub async fn read_small(
    body: Option<StreamingBlob>,
    digests: &mut Digests,
    limit: u64,
    stall: Duration,
) -> S3Result<Bytes> {
    let mut out = BytesMut::new();
    let Some(mut body) = body else {
        return Ok(out.freeze());
    };
    loop {
        match tokio::time::timeout(stall, body.next()).await {
            Err(_) => return Err(stalled()),
            Ok(None) => return Ok(out.freeze()),
            Ok(Some(Err(e))) => return Err(crate::digest::stream_error(&*e)),
            Ok(Some(Ok(chunk))) => {
                if out.len() as u64 + chunk.len() as u64 > limit {
                    return Err(too_large(limit));
                }
                digests.update(&chunk);
                out.extend_from_slice(&chunk);
            }
        }
    }
}

/// A blocking `Read` over a request body, for an importing thread. The S3 error behind a failed
/// read is kept in `failure` (a `Read` can only return an `io::Error`).
pub struct BodyReader {
    body: Option<StreamingBlob>,
    handle: tokio::runtime::Handle,
    pending: Bytes,
    pub digests: Digests,
    limit: u64,
    stall: Duration,
    pub failure: Option<S3Error>,
}

impl BodyReader {
    pub fn new(body: Option<StreamingBlob>, digests: Digests, limit: u64, stall: Duration) -> Self {
        BodyReader {
            body,
            handle: tokio::runtime::Handle::current(),
            pending: Bytes::new(),
            digests,
            limit,
            stall,
            failure: None,
        }
    }

    fn fail(&mut self, err: S3Error) -> std::io::Error {
        let io = std::io::Error::other(err.to_string());
        self.failure = Some(err);
        io
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            let Some(body) = self.body.as_mut() else {
                return Ok(0);
            };
            let next = self.handle.block_on(async { tokio::time::timeout(self.stall, body.next()).await });
            match next {
                Err(_) => return Err(self.fail(stalled())),
                Ok(None) => {
                    self.body = None;
                    return Ok(0);
                }
                Ok(Some(Err(e))) => return Err(self.fail(crate::digest::stream_error(&*e))),
                Ok(Some(Ok(chunk))) => {
                    if self.digests.len() + chunk.len() as u64 > self.limit {
                        return Err(self.fail(too_large(self.limit)));
                    }
                    self.digests.update(&chunk);
                    self.pending = chunk;
                }
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        let _ = self.pending.split_to(n);
        Ok(n)
    }
}

/// Bytes `[start, start + len)` of the file at `cid`, as a response body.
pub fn object_body(kit: Arc<Kit>, cid: Cid, start: u64, len: u64) -> StreamingBlob {
    let (tx, rx) = mpsc::channel::<Result<Bytes, StdError>>(2);
    tokio::spawn(async move {
        let mut at = start;
        let end = start + len;
        while at < end {
            let want = (end - at).min(PIECE as u64) as usize;
            let piece = kit
                .read(move |buckets| {
                    let reader = ipfs_kit_unixfs::DagReader::trusting(buckets.store());
                    let mut file = reader.cat(&cid).map_err(|e| crate::answers::internal(&e))?.starting_at(at);
                    let mut buf = vec![0u8; want];
                    let mut filled = 0;
                    while filled < want {
                        match file.read(&mut buf[filled..]) {
                            Ok(0) => break,
                            Ok(n) => filled += n,
                            Err(e) => return Err(crate::answers::internal(&e)),
                        }
                    }
                    buf.truncate(filled);
                    Ok(Bytes::from(buf))
                })
                .await;
            let piece = match piece {
                Ok(p) if !p.is_empty() => p,
                // A missing block (gc meanwhile) or a short file: the stream is cut, so the
                // client sees an incomplete answer, never a complete-looking wrong one.
                Ok(_) => {
                    let _ = tx.send(Err("the file ended early".into())).await;
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Err(Box::new(e) as StdError)).await;
                    return;
                }
            };
            at += piece.len() as u64;
            if tx.send(Ok(piece)).await.is_err() {
                return;
            }
        }
    });
    StreamingBlob::new(Pieces { rx, left: len })
}

struct Pieces {
    rx: mpsc::Receiver<Result<Bytes, StdError>>,
    left: u64,
}

impl Stream for Pieces {
    type Item = Result<Bytes, StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.rx.poll_recv(cx);
        if let Poll::Ready(Some(Ok(piece))) = &polled {
            self.left = self.left.saturating_sub(piece.len() as u64);
        }
        polled
    }
}

impl ByteStream for Pieces {
    fn remaining_length(&self) -> RemainingLength {
        RemainingLength::new_exact(usize::try_from(self.left).unwrap_or(usize::MAX))
    }
}
