//! Typed errors: why a dag-pb block was refused, and why a block's links could not be read.

use cid::Cid;

/// Why a dag-pb block or a UnixFS `Data` message was refused. It lives here, beside the
/// dag-pb decoder, and `ipfs-kit-unixfs` re-exports it (the UnixFS message uses the same varints
/// and the same offsets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("truncated input at byte {offset}")]
    Truncated { offset: usize },
    #[error("varint at byte {offset} overflows 64 bits")]
    VarintOverflow { offset: usize },
    #[error("varint at byte {offset} is not in its shortest form")]
    NonMinimalVarint { offset: usize },
    #[error("unexpected field {field} (wire type {wire_type}) at byte {offset} in {message}")]
    UnexpectedField { message: &'static str, field: u64, wire_type: u64, offset: usize },
    #[error("field {field} at byte {offset} is out of canonical order in {message}")]
    FieldOrder { message: &'static str, field: u64, offset: usize },
    #[error("required field {field} missing in {message}")]
    MissingField { message: &'static str, field: &'static str },
    #[error("link {index} is not sorted by name")]
    UnsortedLinks { index: usize },
    #[error("invalid CID in link at byte {offset}")]
    InvalidCid { offset: usize },
    #[error("link name at byte {offset} is not UTF-8")]
    InvalidName { offset: usize },
    #[error("unknown UnixFS data type {0}")]
    UnknownDataType(u64),
}

/// Why the links of a block could not be read. Every variant names the block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinksError {
    /// The codec is not one whose links this crate can read (see [`crate::codec::follows_links`]);
    /// callers treat such a block as a leaf, and may say so.
    #[error("block {cid} uses codec {}, whose links cannot be read", crate::codec::codec_name(*codec))]
    UnknownCodec { cid: Cid, codec: u64 },
    #[error("block {cid} is {len} bytes, over the {max}-byte limit for decoding")]
    TooLarge { cid: Cid, len: usize, max: usize },
    #[error("block {cid} nests deeper than {max} levels")]
    TooDeep { cid: Cid, max: usize },
    #[error("block {cid} holds more than {max} links")]
    TooManyLinks { cid: Cid, max: usize },
    #[error("block {cid} is not valid dag-pb: {source}")]
    DagPb { cid: Cid, source: DecodeError },
    /// The DAG-CBOR or DAG-JSON decoder refused the bytes; its message says where and why.
    #[error("block {cid} is not valid {codec}: {message}")]
    Malformed { cid: Cid, codec: &'static str, message: String },
}
