//! CAR (Content Addressable aRchive) files, v1 and v2: a streaming writer whose bytes match
//! go-car and ipfs-car, and a streaming reader that verifies every block and never trusts a
//! length it has not bounded.
//!
//! # Layout written
//!
//! CARv1 ([`CarWriter`]), deterministic for a given root list and `put` order:
//!
//! ```text
//! varint(n) | DAG-CBOR {"roots": [tag42(0x00 ‖ cid), ...], "version": 1}   (n bytes)
//! varint(len(cid) + len(data)) | cid | data                                  (per block)
//! ```
//!
//! The header map is canonical DAG-CBOR (map(2), "roots" before "version", minimal heads), the
//! form go-car and js-car emit, so identical blocks give an identical file and hence the same
//! CAR CID ([`car_cid`], [`CarHasher`]: CIDv1, codec 0x0202, sha2-256 — what `ipfs-car hash`
//! prints). A CIDv0 is written in its binary form, the bare 34-byte multihash.
//!
//! CARv2 ([`CarV2Writer`]) is what go-car's `WrapV1` produces for the same CARv1:
//!
//! ```text
//! pragma 0a a1 67 "version" 02 | 16 zero bytes (characteristics) | u64le 51 (data offset)
//! | u64le data_size | u64le 51 + data_size (index offset) | CARv1 payload | index
//! ```
//!
//! The index is go-car's default `MultihashIndexSorted` (0x0401); the exact byte layout is on
//! [`encode_index`]. The payload size is needed up front because the
//! writer never seeks (it can stream to stdout): plan it with [`header_len`] + Σ [`section_len`].
//!
//! # Limits
//!
//! [`CarReader`] checks every length prefix against [`Limits`] before buffering: header body
//! (default 1 MiB), section (default 8 MiB, go-car's own cap), root count (1024) and index
//! (64 MiB). Buffers start at most 1 MiB and grow only as bytes actually arrive, so a file that
//! claims a 4 GiB section but is short costs nothing. Varints must be minimal and fit in 64 bits.
//!
//! # Verified on read
//!
//! * the header is strict DAG-CBOR with exactly the keys `roots` and `version` (either order),
//!   `version` 1, every root a valid CID (an empty root list is allowed; check if you need one);
//! * the CARv2 pragma is matched byte for byte; the CARv2 header must place the payload after
//!   itself and the index after the payload; the inner payload is read only up to `data_size`,
//!   and ending short of it is `Truncated`;
//! * every block is hashed with the function its CID names (`ipfs_kit_ipld::hash`: sha2, sha3,
//!   blake2b of every length, blake3, …; identity digests are compared with the data); a hash
//!   function outside that table is refused ([`CarError::UnsupportedHash`]) rather than passed
//!   on unverified;
//! * end of input exactly at a section boundary is a clean end; anywhere else it is
//!   [`CarError::Truncated`]; a zero-length section is [`CarError::EmptySection`], unless the
//!   reader was told to take it as the end ([`CarReader::zero_length_as_eof`], go-car's
//!   `ZeroLengthSectionAsEOF`, for the CARs Lotus wrote).
//!
//! The CARv2 index is only read on request ([`CarReader::read_index`]) and checked for
//! structure and ordering, not against the blocks: it is a hint, not a proof.
//!
//! Every error names the byte offset it concerns.

mod cbor;
mod error;
mod hasher;
mod header;
mod index;
mod reader;
mod source;
mod v2;
mod v2_writer;
mod varint;
mod writer;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

pub use error::{CarError, HeaderError, IndexError, V2HeaderError};
pub use hasher::{CAR_CODEC, CarHasher, ThreadedCarHasher, car_cid};
pub use index::{IndexEntry, MULTIHASH_INDEX_SORTED, decode_index, encode_index};
pub use reader::{Block, CarReader, CarVersion, Limits, read_roots};
pub use v2::{PRAGMA, V2_DATA_OFFSET, V2_HEADER_LEN, V2Header};
pub use v2_writer::CarV2Writer;
pub use writer::{CarWriter, header_len, section_len};
