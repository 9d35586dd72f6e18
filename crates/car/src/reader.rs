//! Streaming, verifying CAR reader for CARv1 and CARv2.
//!
//! Reads strictly forward from any `Read` (a pipe, a socket, a decompressor): CARv2 padding and
//! the gap before the index are skipped by reading, never seeking. Every length prefix is checked
//! against [`Limits`] before a byte of it is buffered, and buffers grow only as data arrives.

use std::io::Read;

use cid::Cid;

use crate::error::{CarError, V2HeaderError};
use crate::header;
use crate::index::{self, IndexEntry};
use crate::source::Source;
use crate::v2::{PRAGMA, V2_HEADER_LEN, V2Header};
use crate::varint::{self, VarintError};
use ipfs_kit_ipld::hash::{self, Mismatch};

/// Bounds on what a reader will buffer, so a hostile or corrupt file cannot exhaust memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted header body (the DAG-CBOR map), in bytes.
    pub max_header: u64,
    /// Largest accepted section (CID + block data), in bytes. IPFS blocks are at most 2 MiB in
    /// practice (1 MiB by default in go-car's writers), and go-car refuses sections over 8 MiB.
    pub max_section: u64,
    /// Most roots accepted in a header.
    pub max_roots: u64,
    /// Largest CARv2 index [`CarReader::read_index`] will load, in bytes.
    pub max_index: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_header: 1 << 20, max_section: 8 << 20, max_roots: 1024, max_index: 64 << 20 }
    }
}

/// The CAR format version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarVersion {
    V1,
    V2,
}

/// A verified block and where its section starts in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub cid: Cid,
    pub data: Vec<u8>,
    /// File offset of the section's length varint (for CARv2, counted from the start of the file,
    /// not of the payload).
    pub offset: u64,
}

impl Block {
    /// Checks the bytes against the CID's multihash: what the reader does for every block,
    /// unless told to leave it to the caller ([`CarReader::defer_hash_check`]).
    pub fn verify(&self) -> Result<(), CarError> {
        hash::verify(&self.cid, &self.data).map_err(|m| match m {
            Mismatch::Digest => CarError::HashMismatch { offset: self.offset, cid: self.cid },
            Mismatch::Unsupported { code, size } => CarError::UnsupportedHash { offset: self.offset, code, size },
        })
    }
}

/// Reads a CAR's header on construction, then yields verified blocks one by one.
///
/// Wrap files and sockets in a `BufReader`: varints are read a byte at a time.
pub struct CarReader<R> {
    src: Source<R>,
    limits: Limits,
    roots: Vec<Cid>,
    v2: Option<V2Header>,
    done: bool,
    /// Whether a zero-length section ends the CAR (see [`CarReader::zero_length_as_eof`]).
    zero_as_eof: bool,
    /// Whether blocks come back unhashed (see [`CarReader::defer_hash_check`]).
    defer_hash: bool,
}

impl<R: Read> CarReader<R> {
    /// Reads and checks the header (and, for CARv2, the pragma, the fixed header and any padding
    /// up to the payload).
    pub fn new(reader: R, limits: Limits) -> Result<Self, CarError> {
        let mut src = Source::new(reader);
        let mut v2 = None;
        let roots = match read_header(&mut src, &limits)? {
            Header::V1(roots) => roots,
            Header::V2Pragma => {
                let header = read_v2_header(&mut src)?;
                let padding = header.data_offset - src.pos();
                if src.skip(padding).map_err(|e| io_at(&src, e))? < padding {
                    return Err(CarError::Truncated { offset: src.pos() });
                }
                src.set_end(Some(header.data_end()));
                v2 = Some(header);
                match read_header(&mut src, &limits)? {
                    Header::V1(roots) => roots,
                    Header::V2Pragma => {
                        return Err(CarError::InvalidV2Header {
                            offset: header.data_offset,
                            kind: V2HeaderError::NestedV2,
                        });
                    }
                }
            }
        };
        Ok(Self { src, limits, roots, v2, done: false, zero_as_eof: false, defer_hash: false })
    }

    /// Takes a zero-length section as the end of the CAR, as go-car's `ZeroLengthSectionAsEOF`
    /// option does: Lotus once wrote CARs padded with zeros past their last block. Off by default,
    /// because a zero where a section belongs is otherwise damage ([`CarError::EmptySection`]).
    pub fn zero_length_as_eof(mut self, yes: bool) -> Self {
        self.zero_as_eof = yes;
        self
    }

    /// Leaves each block's hash check to the caller, who must call [`Block::verify`] on every
    /// block before trusting it: a caller can then hash several blocks on several cores while
    /// this reader parses the next ones. Everything else (lengths, limits, canonical CIDs) is
    /// still checked here.
    pub fn defer_hash_check(mut self, yes: bool) -> Self {
        self.defer_hash = yes;
        self
    }

    /// The header's roots; possibly empty, which the CARv1 spec leaves unresolved and go-car's
    /// v1 reader refuses, so callers that need a root should check.
    pub fn roots(&self) -> &[Cid] {
        &self.roots
    }

    pub fn version(&self) -> CarVersion {
        if self.v2.is_some() { CarVersion::V2 } else { CarVersion::V1 }
    }

    /// The fixed CARv2 header, for CARv2 files.
    pub fn v2_header(&self) -> Option<&V2Header> {
        self.v2.as_ref()
    }

    /// Bytes consumed from the underlying reader so far.
    pub fn position(&self) -> u64 {
        self.src.pos()
    }

    /// The next block, verified against its CID; `None` at a clean end (end of input exactly at a
    /// section boundary, or the end of a CARv2 payload). After an error the reader yields `None`.
    pub fn next_block(&mut self) -> Result<Option<Block>, CarError> {
        if self.done {
            return Ok(None);
        }
        let result = self.read_section();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    fn read_section(&mut self) -> Result<Option<Block>, CarError> {
        let offset = self.src.pos();
        let Some(len) = read_varint(&mut self.src)? else {
            // A CARv2 payload shorter than its header promised is a truncated file, not an end.
            return match self.v2 {
                Some(h) if offset < h.data_end() => Err(CarError::Truncated { offset }),
                _ => Ok(None),
            };
        };
        if len == 0 {
            return if self.zero_as_eof { Ok(None) } else { Err(CarError::EmptySection { offset }) };
        }
        if len > self.limits.max_section {
            return Err(CarError::SectionTooLarge { offset, len, max: self.limits.max_section });
        }
        let mut data = self.src.bytes(len).map_err(|e| io_at(&self.src, e))?;
        if (data.len() as u64) < len {
            return Err(CarError::Truncated { offset });
        }
        let mut rest = &data[..];
        let cid = Cid::read_bytes(&mut rest).map_err(|source| CarError::InvalidCid { offset, source })?;
        let cid_len = data.len() - rest.len();
        // One CID, one spelling: the cid crate's varints also accept overlong forms.
        if cid.to_bytes() != data[..cid_len] {
            return Err(CarError::NonCanonicalCid { offset });
        }
        data.drain(..cid_len);
        let block = Block { cid, data, offset };
        if !self.defer_hash {
            block.verify()?;
        }
        Ok(Some(block))
    }

    /// Reads the CARv2 index, skipping (unverified) whatever blocks were not read yet.
    ///
    /// `Ok(None)` for a CARv1 or a CARv2 without an index. Only `MultihashIndexSorted` is parsed;
    /// entry offsets are relative to the payload start, as in the file. The index is untrusted:
    /// check its entries against the blocks before relying on it.
    pub fn read_index(mut self) -> Result<Option<Vec<IndexEntry>>, CarError> {
        let Some(header) = self.v2.filter(|h| h.index_offset != 0) else {
            return Ok(None);
        };
        self.src.set_end(None);
        let gap = header.index_offset - self.src.pos();
        if self.src.skip(gap).map_err(|e| io_at(&self.src, e))? < gap {
            return Err(CarError::Truncated { offset: self.src.pos() });
        }
        let max = self.limits.max_index;
        let bytes = self.src.bytes(max.saturating_add(1)).map_err(|e| io_at(&self.src, e))?;
        if bytes.len() as u64 > max {
            return Err(CarError::IndexTooLarge { offset: header.index_offset, max });
        }
        index::decode(&bytes)
            .map(Some)
            .map_err(|(pos, kind)| CarError::InvalidIndex { offset: header.index_offset + pos as u64, kind })
    }
}

/// The roots of a CAR, reading only its header (for a CARv2, the fixed header and the inner
/// CARv1 header): no block is read, so a CAR whose blocks are damaged or use a hash this crate
/// cannot check still names its roots, as `car roots` should.
pub fn read_roots<R: Read>(reader: R, limits: Limits) -> Result<(CarVersion, Vec<Cid>), CarError> {
    let reader = CarReader::new(reader, limits)?;
    Ok((reader.version(), reader.roots))
}

enum Header {
    V1(Vec<Cid>),
    V2Pragma,
}

/// Reads a length-prefixed header body at the current position and decodes it.
fn read_header<R: Read>(src: &mut Source<R>, limits: &Limits) -> Result<Header, CarError> {
    let offset = src.pos();
    let len = read_varint(src)?.ok_or(CarError::Truncated { offset })?;
    if len > limits.max_header {
        return Err(CarError::HeaderTooLarge { offset, len, max: limits.max_header });
    }
    let body_at = src.pos();
    let body = src.bytes(len).map_err(|e| io_at(src, e))?;
    if (body.len() as u64) < len {
        return Err(CarError::Truncated { offset });
    }
    if len == PRAGMA[0] as u64 && body == PRAGMA[1..] {
        return Ok(Header::V2Pragma);
    }
    header::decode(&body, limits.max_roots)
        .map(Header::V1)
        .map_err(|f| CarError::InvalidHeader { offset: body_at + f.pos as u64, kind: f.kind })
}

fn read_v2_header<R: Read>(src: &mut Source<R>) -> Result<V2Header, CarError> {
    let offset = src.pos();
    let bytes = src.bytes(V2_HEADER_LEN).map_err(|e| io_at(src, e))?;
    let bytes: &[u8; 40] = bytes.as_slice().try_into().map_err(|_| CarError::Truncated { offset })?;
    V2Header::decode(bytes).map_err(|kind| CarError::InvalidV2Header { offset, kind })
}

fn read_varint<R: Read>(src: &mut Source<R>) -> Result<Option<u64>, CarError> {
    let offset = src.pos();
    varint::read(|| src.byte()).map_err(|e| match e {
        VarintError::Io(source) => CarError::Io { offset, source },
        VarintError::Truncated => CarError::Truncated { offset },
        VarintError::Overflow => CarError::VarintOverflow { offset },
        VarintError::NotMinimal => CarError::VarintNotMinimal { offset },
    })
}

fn io_at<R: Read>(src: &Source<R>, source: std::io::Error) -> CarError {
    CarError::Io { offset: src.pos(), source }
}
