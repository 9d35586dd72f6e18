//! A byte source that knows its file offset and can be fenced at an end offset.
//!
//! The offset makes every error point at a byte; the fence is how a CARv2 payload is read "only up
//! to data size" without a `Seek`: past the fence the source reports end of file, so the CARv1
//! parser stops at the payload boundary exactly as it would at the end of a plain CARv1.

use std::io::{self, Read};

/// Initial capacity cap for section buffers: a claimed length only reserves memory as the bytes
/// actually arrive, so a lying prefix on a short input costs at most this much. It is a 1 MiB
/// block plus room for its CID, so the common section (a full 1 MiB leaf) fits the first
/// allocation instead of growing it to 2 MiB with a copy of the first MiB.
const MAX_PREALLOC: u64 = (1 << 20) + 256;

pub(crate) struct Source<R> {
    inner: R,
    pos: u64,
    end: Option<u64>,
}

impl<R: Read> Source<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner, pos: 0, end: None }
    }

    /// Bytes consumed from the underlying reader.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    pub(crate) fn set_end(&mut self, end: Option<u64>) {
        self.end = end;
    }

    fn budget(&self, want: u64) -> u64 {
        self.end.map_or(want, |end| want.min(end.saturating_sub(self.pos)))
    }

    /// One byte, or `None` at end of input or at the fence.
    pub(crate) fn byte(&mut self) -> io::Result<Option<u8>> {
        if self.budget(1) == 0 {
            return Ok(None);
        }
        let mut b = [0u8];
        loop {
            match self.inner.read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.pos += 1;
                    return Ok(Some(b[0]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads up to `n` bytes into a fresh buffer; fewer come back only at end of input or fence.
    pub(crate) fn bytes(&mut self, n: u64) -> io::Result<Vec<u8>> {
        let n = self.budget(n);
        let mut buf = Vec::with_capacity(n.min(MAX_PREALLOC) as usize);
        let got = (&mut self.inner).take(n).read_to_end(&mut buf)?;
        self.pos += got as u64;
        Ok(buf)
    }

    /// Discards up to `n` bytes, returning how many were skipped.
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let n = self.budget(n);
        let got = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        self.pos += got;
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_stops_reads() {
        let data: Vec<u8> = (0..20).collect();
        let mut s = Source::new(&data[..]);
        s.set_end(Some(5));
        assert_eq!(s.byte().unwrap(), Some(0));
        assert_eq!(s.bytes(10).unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(s.byte().unwrap(), None);
        assert_eq!(s.skip(3).unwrap(), 0);
        s.set_end(None);
        assert_eq!(s.skip(3).unwrap(), 3);
        assert_eq!(s.pos(), 8);
        assert_eq!(s.bytes(u64::MAX).unwrap(), (8..20).collect::<Vec<u8>>());
    }
}
