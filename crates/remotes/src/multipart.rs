//! A streamed `multipart/form-data` body holding one file part, fed by a producer thread
//! through a pipe: the CAR is written by the store's push-style writer while the HTTP client
//! reads it, so it is never in memory whole and never in a temp file.
//!
//! A producer that fails must not let the body end cleanly (the receiver would take a cut-off
//! CAR for a whole one): the reader then returns an error instead of the closing boundary, and
//! the client drops the connection without the final chunk.

use std::io::{self, BufWriter, Cursor, Read, Write};
use std::sync::mpsc;

/// Writes the part's bytes to the writer it is given; `Err` says why it stopped.
pub type Producer<'a> = dyn Fn(&mut dyn Write) -> Result<(), String> + Sync + 'a;

/// The result of one streamed upload: what the consumer made of it, and whether the
/// producer finished (an `Err` names its failure, or the pipe closing under it).
pub struct Streamed<T> {
    pub consumed: T,
    pub produced: Result<(), String>,
}

/// Runs `produce` on a thread writing into a pipe, and `consume` on this one reading the
/// multipart body built around it (content type, the body's length, and the body reader).
///
/// With `part_len`, the part's length is known beforehand (a CAR plan knows its size), so the
/// body's whole length is too and the upload goes with a `Content-Length` rather than chunked:
/// what `curl -F file=@…` sends. A producer that then writes more or fewer bytes fails the body.
pub fn stream<T>(
    filename: &str,
    part_type: &str,
    part_len: Option<u64>,
    produce: &Producer<'_>,
    consume: impl FnOnce(&str, Option<u64>, &mut dyn Read) -> T,
) -> io::Result<Streamed<T>> {
    let boundary = boundary();
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: {part_type}\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let body_len = part_len.map(|n| head.len() as u64 + n + tail.len() as u64);
    let (reader, writer) = io::pipe()?;
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            let mut out = BufWriter::with_capacity(256 << 10, writer);
            let result = produce(&mut out).and_then(|()| out.flush().map_err(|e| e.to_string()));
            // The verdict goes first; the pipe closes (EOF for the reader) when `out` drops.
            let _ = tx.send(result.clone());
            result
        });
        let mut body = Body {
            head: Cursor::new(head.into_bytes()),
            pipe: Some(reader),
            part_len,
            piped: 0,
            verdict: rx,
            tail: Cursor::new(tail.into_bytes()),
        };
        let consumed = consume(&content_type, body_len, &mut body);
        // Drops the pipe's reading end, so a producer still writing stops (EPIPE).
        drop(body);
        let produced = producer.join().unwrap_or_else(|_| Err("the CAR writer panicked".into()));
        Ok(Streamed { consumed, produced })
    })
}

struct Body {
    head: Cursor<Vec<u8>>,
    pipe: Option<io::PipeReader>,
    part_len: Option<u64>,
    piped: u64,
    verdict: mpsc::Receiver<Result<(), String>>,
    tail: Cursor<Vec<u8>>,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        if let Some(pipe) = &mut self.pipe {
            let n = pipe.read(buf)?;
            self.piped += n as u64;
            if self.part_len.is_some_and(|len| self.piped > len) {
                return Err(io::Error::other(format!(
                    "the CAR stream is over its planned {} bytes",
                    self.piped - n as u64
                )));
            }
            if n > 0 {
                return Ok(n);
            }
            self.pipe = None;
            if let Some(len) = self.part_len.filter(|&len| len != self.piped) {
                return Err(io::Error::other(format!(
                    "the CAR stream ended at {} bytes, not the planned {len}",
                    self.piped
                )));
            }
            match self.verdict.recv() {
                Ok(Ok(())) => {}
                Ok(Err(why)) => return Err(io::Error::other(format!("the CAR stream failed: {why}"))),
                Err(_) => return Err(io::Error::other("the CAR stream stopped without a verdict")),
            }
        }
        self.tail.read(buf)
    }
}

fn boundary() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    let a = h.finish();
    h.write_u64(a);
    format!("ipfs-kit-{a:016x}{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(
        part_len: Option<u64>,
        produce: &Producer<'_>,
    ) -> Streamed<(String, Option<u64>, Result<String, String>)> {
        stream("x.car", "application/vnd.ipld.car", part_len, produce, |ct, len, r| {
            let mut out = String::new();
            let read = r.read_to_string(&mut out).map(|_| out).map_err(|e| e.to_string());
            (ct.to_owned(), len, read)
        })
        .unwrap()
    }

    #[test]
    fn the_body_wraps_the_part_and_a_failing_producer_cuts_it_off() {
        let good: &Producer<'_> = &|w| w.write_all(b"CARBYTES").map_err(|e| e.to_string());
        for part_len in [None, Some(8)] {
            let s = read_all(part_len, good);
            let (ct, len, body) = s.consumed;
            let body = body.unwrap();
            let boundary = ct.strip_prefix("multipart/form-data; boundary=").unwrap();
            assert!(body.starts_with(&format!("--{boundary}\r\n")));
            assert!(body.contains("\r\n\r\nCARBYTES\r\n"));
            assert!(body.ends_with(&format!("--{boundary}--\r\n")));
            assert_eq!(len, part_len.map(|_| body.len() as u64), "the declared length is the body's");
            assert!(s.produced.is_ok());
        }

        let bad: &Producer<'_> = &|w| {
            w.write_all(b"PART").map_err(|e| e.to_string())?;
            Err("block missing".into())
        };
        assert!(read_all(None, bad).consumed.2.unwrap_err().contains("block missing"));
    }

    #[test]
    fn a_part_longer_or_shorter_than_declared_fails_the_body() {
        let good: &Producer<'_> = &|w| w.write_all(b"CARBYTES").map_err(|e| e.to_string());
        let short = read_all(Some(9), good).consumed.2.unwrap_err();
        assert!(short.contains("ended at 8 bytes, not the planned 9"), "{short}");
        let long = read_all(Some(7), good).consumed.2.unwrap_err();
        assert!(long.contains("over its planned 7 bytes") || long.contains("over its planned"), "{long}");
    }
}
