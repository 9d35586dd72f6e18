//! Typed errors.
//!
//! Every variant that can arise from bytes on disk carries the byte offset (from the start of
//! the file, or of the output for writers) where the problem sits, because "invalid CAR" alone is
//! useless when the file is gigabytes long and came from somebody else's tool.

use cid::Cid;

/// Anything that can go wrong reading, writing or verifying a CAR.
#[derive(Debug, thiserror::Error)]
pub enum CarError {
    /// The underlying reader or writer failed (not an early end of file, which is `Truncated`).
    #[error("I/O error at byte {offset}: {source}")]
    Io {
        offset: u64,
        #[source]
        source: std::io::Error,
    },
    /// The input ended inside a varint, the header, a section or the CARv2 header.
    #[error("truncated CAR: section at byte {offset} ends early")]
    Truncated { offset: u64 },
    /// A varint does not fit in 64 bits.
    #[error("varint at byte {offset} overflows 64 bits")]
    VarintOverflow { offset: u64 },
    /// A varint has redundant trailing zero groups; go-car and js-car both refuse these.
    #[error("varint at byte {offset} is not minimally encoded")]
    VarintNotMinimal { offset: u64 },
    /// The header length prefix exceeds [`Limits::max_header`](crate::Limits::max_header).
    #[error("CAR header at byte {offset} claims {len} bytes, over the {max}-byte limit")]
    HeaderTooLarge { offset: u64, len: u64, max: u64 },
    /// A section length prefix exceeds [`Limits::max_section`](crate::Limits::max_section).
    #[error("section at byte {offset} claims {len} bytes, over the {max}-byte limit")]
    SectionTooLarge { offset: u64, len: u64, max: u64 },
    /// A section of length zero: go-car treats it as an error by default and so do we, unless
    /// the reader takes it as the end ([`CarReader::zero_length_as_eof`](crate::CarReader::zero_length_as_eof)).
    #[error(
        "zero-length section at byte {offset}: damage, or the end of a CAR that Lotus padded with zeros \
         (read it with --zero-length-as-eof to stop there)"
    )]
    EmptySection { offset: u64 },
    /// The DAG-CBOR header is malformed or not a CARv1/CARv2 header.
    #[error("invalid CAR header at byte {offset}: {kind}")]
    InvalidHeader { offset: u64, kind: HeaderError },
    /// The 40-byte CARv2 header describes an impossible layout.
    #[error("invalid CARv2 header at byte {offset}: {kind}")]
    InvalidV2Header { offset: u64, kind: V2HeaderError },
    /// A section's CID is spelled with overlong varints.
    #[error("CID in section at byte {offset} is not in canonical form")]
    NonCanonicalCid { offset: u64 },
    /// A section does not start with a decodable CID.
    #[error("invalid CID in section at byte {offset}: {source}")]
    InvalidCid {
        offset: u64,
        #[source]
        source: cid::Error,
    },
    /// A block's bytes do not hash to the digest in its CID.
    #[error("block in section at byte {offset} does not match its CID {cid}")]
    HashMismatch { offset: u64, cid: Cid },
    /// The CID uses a hash this crate cannot recompute, so the block cannot be verified.
    #[error(
        "section at byte {offset} uses multihash {} with a {size}-byte digest, which cannot be verified",
        ipfs_kit_ipld::hash::hash_name(*code)
    )]
    UnsupportedHash { offset: u64, code: u64, size: u8 },
    /// The CARv2 index is malformed.
    #[error("invalid CARv2 index at byte {offset}: {kind}")]
    InvalidIndex { offset: u64, kind: IndexError },
    /// The CARv2 index is longer than [`Limits::max_index`](crate::Limits::max_index).
    #[error("CARv2 index at byte {offset} is over the {max}-byte limit")]
    IndexTooLarge { offset: u64, max: u64 },
    /// A CARv2 writer was asked to write past the payload size it announced in its header.
    #[error("section at byte {offset} would end past the planned CARv2 payload of {planned} bytes")]
    ExceedsPlan { offset: u64, planned: u64 },
    /// A CARv2 writer finished with a payload size different from the one in its header.
    #[error("CARv2 payload was planned as {planned} bytes but ends at payload byte {written}")]
    SizeMismatch { planned: u64, written: u64 },
}

/// Why a DAG-CBOR CAR header was refused.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("header is empty")]
    Empty,
    #[error("CBOR ends early")]
    Truncated,
    #[error("expected {0}")]
    Expected(&'static str),
    #[error("indefinite-length or reserved CBOR item (not DAG-CBOR)")]
    NotDagCbor,
    #[error("CBOR length or integer is not minimally encoded")]
    NotMinimal,
    #[error("map has {0} entries; a CAR header has 2")]
    WrongEntryCount(u64),
    #[error("unknown key")]
    UnknownKey,
    #[error("duplicate key {0:?}")]
    DuplicateKey(&'static str),
    #[error("missing key {0:?}")]
    MissingKey(&'static str),
    #[error("unsupported CAR version {0}")]
    UnsupportedVersion(u64),
    #[error("{count} roots, over the limit of {max}")]
    TooManyRoots { count: u64, max: u64 },
    #[error("CID link does not start with the 0x00 multibase prefix")]
    MissingLinkPrefix,
    #[error("root is not a valid CID: {0}")]
    InvalidCid(cid::Error),
    #[error("root CID is not in canonical form")]
    NonCanonicalCid,
    #[error("root CID is followed by {0} stray bytes")]
    TrailingCidBytes(usize),
    #[error("{0} stray bytes after the header map")]
    TrailingBytes(usize),
}

/// Why the fixed 40-byte CARv2 header was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum V2HeaderError {
    #[error("data offset {0} points inside the pragma or header (minimum 51)")]
    DataOffsetTooSmall(u64),
    #[error("data size is zero")]
    EmptyData,
    #[error("data offset plus size overflows 64 bits")]
    Overflow,
    #[error("index offset {index_offset} overlaps the data payload ending at {data_end}")]
    IndexOverlapsData { index_offset: u64, data_end: u64 },
    #[error("data payload is itself a CARv2")]
    NestedV2,
}

/// Why a `MultihashIndexSorted` index was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IndexError {
    #[error("index ends early")]
    Truncated,
    #[error("unsupported index codec {0:#x} (only MultihashIndexSorted 0x401 is read)")]
    UnsupportedCodec(u64),
    #[error("negative bucket count {0}")]
    NegativeCount(i32),
    #[error("bucket width {0} is below the 8-byte offset")]
    WidthTooSmall(u32),
    #[error("bucket byte length {len} is not a multiple of its width {width}")]
    RaggedBucket { len: u64, width: u32 },
    #[error("multihash codes or bucket widths are not in ascending order")]
    UnsortedBuckets,
    #[error("digests in a bucket are not in ascending order")]
    UnsortedDigests,
    #[error("digest of {0} bytes is too long for a multihash")]
    DigestTooLong(usize),
    #[error("{0} stray bytes after the index")]
    TrailingBytes(usize),
}
