//! Streaming CARv1 writer and the size arithmetic to plan CARs before writing them.
//!
//! Output is deterministic: the same roots and the same `put` sequence give the same bytes, and
//! those bytes are what go-car and ipfs-car produce for the same blocks, so the CAR's own CID
//! (see [`CarHasher`](crate::CarHasher)) is reproducible across tools.

use std::io::Write;

use cid::Cid;

use crate::error::CarError;
use crate::header;
use crate::varint;

/// Bytes the CARv1 header (varint prefix + DAG-CBOR) takes for `roots`.
pub fn header_len(roots: &[Cid]) -> u64 {
    let body = header::body_len(roots);
    varint::encoded_len(body) + body
}

/// Bytes one section (varint prefix + CID + data) takes, so callers can plan shard sizes and a
/// CARv2 payload size without writing anything.
pub fn section_len(cid: &Cid, data_len: u64) -> u64 {
    let body = cid.encoded_len() as u64 + data_len;
    varint::encoded_len(body) + body
}

/// Writes a CARv1 to any `Write`, section by section; nothing is buffered beyond one section's
/// prefix. Blocks are written as given: the writer trusts the caller's CIDs.
///
/// After an error the output is incomplete and the writer should be dropped.
pub struct CarWriter<W: Write> {
    out: W,
    written: u64,
    /// Offset of the payload in the output, so error offsets are file offsets inside a CARv2.
    base: u64,
}

impl<W: Write> CarWriter<W> {
    /// Writes the header. Empty `roots` are written as given; note that go-car's CARv1 reader
    /// and `car verify` refuse root-less CARs.
    pub fn new(out: W, roots: &[Cid]) -> Result<Self, CarError> {
        Self::with_base(out, roots, 0)
    }

    pub(crate) fn with_base(out: W, roots: &[Cid], base: u64) -> Result<Self, CarError> {
        let mut writer = Self { out, written: 0, base };
        let body = header::encode(roots);
        let mut prefix = [0; varint::MAX_LEN];
        writer.write(varint::encode(body.len() as u64, &mut prefix))?;
        writer.write(&body)?;
        Ok(writer)
    }

    /// Appends one section: `varint(len(cid) + len(data)) | cid | data`.
    ///
    /// A CIDv0 is written as its bare 34-byte multihash, which is its binary form and what
    /// go-car writes; readers tell the two versions apart by the leading `0x12 0x20`.
    pub fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), CarError> {
        self.section_head(cid, data.len() as u64)?;
        self.write(data)
    }

    /// Appends one section of `len` data bytes that `write_data` puts on the output itself (for
    /// instance copied in the kernel from another file, after flushing any buffer). It must
    /// write exactly `len` bytes, or fail; the output is incomplete after a failure.
    pub fn put_with<E: From<CarError>>(
        &mut self,
        cid: &Cid,
        len: u64,
        write_data: impl FnOnce(&mut W) -> Result<(), E>,
    ) -> Result<(), E> {
        self.section_head(cid, len)?;
        write_data(&mut self.out)?;
        self.written += len;
        Ok(())
    }

    /// A section's `varint(len(cid) + len) | cid`, before its data.
    fn section_head(&mut self, cid: &Cid, len: u64) -> Result<(), CarError> {
        let cid_bytes = cid.to_bytes();
        let mut prefix = [0; varint::MAX_LEN];
        self.write(varint::encode(cid_bytes.len() as u64 + len, &mut prefix))?;
        self.write(&cid_bytes)
    }

    /// Bytes written so far, i.e. the offset the next section will start at.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the output and the total bytes written.
    pub fn finish(mut self) -> Result<(W, u64), CarError> {
        self.out.flush().map_err(|source| CarError::Io { offset: self.base + self.written, source })?;
        Ok((self.out, self.written))
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), CarError> {
        let offset = self.base + self.written;
        self.out.write_all(bytes).map_err(|source| CarError::Io { offset, source })?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}
