//! A reader that reads its source on a thread of its own, a few buffers ahead of the consumer.
//!
//! A pull checks every block against its CID and writes it to a pack while the response is
//! still arriving. Read on one thread, the two take turns: while a block is hashed nobody
//! reads the socket, its buffer fills, and the sender (a node exporting a DAG) waits. With the
//! socket read here, the network and the checking overlap, and the pull takes about as long
//! as the slower of the two instead of their sum. Memory stays bounded: at most `depth`
//! buffers of `size` bytes are in flight, and they are reused.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// What the reading thread hands over: a filled buffer, or how the source ended.
type Filled = io::Result<Vec<u8>>;

pub struct ReadAhead {
    filled: Receiver<Filled>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

impl ReadAhead {
    /// Starts reading `source` on a new thread, with `depth` buffers of `size` bytes.
    pub fn new(mut source: Box<dyn Read + Send>, size: usize, depth: usize) -> Self {
        let depth = depth.max(1);
        let (filled_tx, filled) = sync_channel::<Filled>(depth);
        let (empty, empty_rx) = sync_channel::<Vec<u8>>(depth + 1);
        for _ in 0..depth {
            let _ = empty.send(Vec::with_capacity(size));
        }
        std::thread::spawn(move || {
            // Ends when the source ends or fails, or when the consumer is gone (a send fails).
            while let Ok(mut buf) = empty_rx.recv() {
                buf.clear();
                buf.resize(size, 0);
                let mut len = 0;
                // Fill at least half a buffer per hand-over (fewer wake-ups), less at the end.
                let outcome = loop {
                    match source.read(&mut buf[len..]) {
                        Ok(0) => break Ok(true),
                        Ok(n) => {
                            len += n;
                            if len >= size / 2 {
                                break Ok(false);
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(len);
                let (ended, failure) = match outcome {
                    Ok(ended) => (ended, None),
                    Err(e) => (true, Some(e)),
                };
                if len > 0 && filled_tx.send(Ok(buf)).is_err() {
                    return;
                }
                if ended {
                    // An empty buffer is the end; an error is passed on as it came.
                    let _ = filled_tx.send(failure.map_or(Ok(Vec::new()), Err));
                    return;
                }
            }
        });
        ReadAhead { filled, empty, current: Vec::new(), at: 0, done: false }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            // A drained buffer goes back before waiting for the next: with `depth` 1 the
            // reading thread has no other to fill.
            if self.current.capacity() > 0 {
                let _ = self.empty.try_send(std::mem::take(&mut self.current));
                self.at = 0;
            }
            let next = match self.filled.recv() {
                Ok(next) => next,
                Err(_) => return Err(io::Error::other("the reading thread stopped")),
            };
            let buf = match next {
                Ok(buf) => buf,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            };
            if buf.is_empty() {
                self.done = true;
                return Ok(0);
            }
            self.current = buf;
            self.at = 0;
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes in uneven pieces, then fails or ends.
    struct Pieces {
        data: Vec<u8>,
        at: usize,
        fail_at_end: bool,
    }

    impl Read for Pieces {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return if self.fail_at_end { Err(io::Error::other("connection reset")) } else { Ok(0) };
            }
            let n = out.len().min(self.data.len() - self.at).min(1 + self.at % 7919);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn every_byte_arrives_in_order_whatever_the_sizes() {
        for (len, size, depth) in [(0, 16, 1), (1, 16, 2), (100_000, 4096, 3), (1 << 20, 65536, 8), (9_999, 1, 1)] {
            let source = Pieces { data: data(len), at: 0, fail_at_end: false };
            let mut got = Vec::new();
            ReadAhead::new(Box::new(source), size, depth).read_to_end(&mut got).unwrap();
            assert!(got == data(len), "len {len} size {size} depth {depth}");
        }
    }

    #[test]
    fn a_source_error_reaches_the_reader_after_the_bytes_before_it() {
        let source = Pieces { data: data(50_000), at: 0, fail_at_end: true };
        let mut reader = ReadAhead::new(Box::new(source), 4096, 2);
        let mut got = Vec::new();
        let err = reader.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.to_string(), "connection reset");
        assert!(got == data(50_000), "the bytes before the error are all delivered");
    }

    #[test]
    fn a_consumer_that_stops_early_does_not_hang() {
        let source = Pieces { data: data(10 << 20), at: 0, fail_at_end: false };
        let mut reader = ReadAhead::new(Box::new(source), 4096, 2);
        let mut first = [0u8; 10];
        reader.read_exact(&mut first).unwrap();
        drop(reader);
    }
}
