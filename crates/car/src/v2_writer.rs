//! Streaming CARv2 writer: pragma, header, CARv1 payload, `MultihashIndexSorted` index.
//!
//! The CARv2 header holds the payload size and index offset up front, so a writer that cannot
//! seek back (stdout, a socket, an upload stream) must know the payload size before the first
//! block. Callers compute it with [`header_len`] and [`section_len`]; the writer refuses to go
//! past the plan and checks at the end that the plan was met exactly.
//!
//! The result matches go-car's `WrapV1` of the same CARv1 byte for byte: zero characteristics,
//! no padding, index immediately after the payload.

use std::io::Write;

use cid::Cid;

use crate::error::CarError;
use crate::index::{IndexEntry, encode_index};
use crate::v2::{PRAGMA, V2_DATA_OFFSET, V2Header};
use crate::writer::{CarWriter, header_len, section_len};
use ipfs_kit_ipld::hash::IDENTITY;

/// Writes a CARv2 with a planned payload size; see the module docs.
///
/// Index entries (one multihash and offset per non-identity block) are kept in memory until
/// [`finish`](Self::finish), since the index must be sorted.
pub struct CarV2Writer<W: Write> {
    inner: CarWriter<W>,
    data_size: u64,
    entries: Vec<IndexEntry>,
}

impl<W: Write> CarV2Writer<W> {
    /// Writes the pragma, the CARv2 header announcing `data_size` payload bytes, and the inner
    /// CARv1 header.
    pub fn new(mut out: W, roots: &[Cid], data_size: u64) -> Result<Self, CarError> {
        if header_len(roots) > data_size || data_size > u64::MAX - V2_DATA_OFFSET {
            return Err(CarError::ExceedsPlan { offset: V2_DATA_OFFSET, planned: data_size });
        }
        let header = V2Header::new(data_size);
        let io = |source| CarError::Io { offset: 0, source };
        out.write_all(&PRAGMA).map_err(io)?;
        out.write_all(&header.encode()).map_err(io)?;
        let inner = CarWriter::with_base(out, roots, V2_DATA_OFFSET)?;
        Ok(Self { inner, data_size, entries: Vec::new() })
    }

    /// Appends one section, refusing (before writing anything) one that would overrun the plan.
    pub fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), CarError> {
        let offset = self.next_section(cid, data.len() as u64)?;
        self.inner.put(cid, data)?;
        self.index(cid, offset);
        Ok(())
    }

    /// As [`CarWriter::put_with`]: a section whose data `write_data` writes itself.
    pub fn put_with<E: From<CarError>>(
        &mut self,
        cid: &Cid,
        len: u64,
        write_data: impl FnOnce(&mut W) -> Result<(), E>,
    ) -> Result<(), E> {
        let offset = self.next_section(cid, len)?;
        self.inner.put_with(cid, len, write_data)?;
        self.index(cid, offset);
        Ok(())
    }

    /// The payload offset the next section starts at, once it is known to fit the plan.
    fn next_section(&self, cid: &Cid, len: u64) -> Result<u64, CarError> {
        let offset = self.inner.bytes_written();
        if offset + section_len(cid, len) > self.data_size {
            return Err(CarError::ExceedsPlan { offset: V2_DATA_OFFSET + offset, planned: self.data_size });
        }
        Ok(offset)
    }

    fn index(&mut self, cid: &Cid, offset: u64) {
        if cid.hash().code() != IDENTITY {
            self.entries.push(IndexEntry { multihash: *cid.hash(), offset });
        }
    }

    pub fn bytes_written(&self) -> u64 {
        self.inner.bytes_written()
    }

    /// Checks the payload size against the plan, writes the index, flushes, and returns the
    /// output and the total file length.
    pub fn finish(self) -> Result<(W, u64), CarError> {
        let written = self.inner.bytes_written();
        if written != self.data_size {
            return Err(CarError::SizeMismatch { planned: self.data_size, written });
        }
        let (mut out, _) = self.inner.finish()?;
        let index = encode_index(self.entries);
        let index_offset = V2_DATA_OFFSET + self.data_size;
        let io = |source| CarError::Io { offset: index_offset, source };
        out.write_all(&index).map_err(io)?;
        out.flush().map_err(io)?;
        Ok((out, index_offset + index.len() as u64))
    }
}
