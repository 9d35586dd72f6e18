//! The links of a DAG-CBOR block: every tag 42, at any depth, in the order the block holds them.
//!
//! Items are read with `cbor4ii`'s decoders (the CBOR core under `serde_ipld_dagcbor`) by a
//! walker that keeps only the links. The strict `serde_ipld_dagcbor` decoder was the first
//! choice, but it refuses text strings that are not UTF-8, and Filecoin chain blocks hold such
//! strings (go-car's `sample-v1.car` has them; go-ipld-prime and `@ipld/dag-cbor` read them), so
//! a link walker built on it would call the Filecoin chain malformed. This walker is strict where
//! the links are concerned and lenient elsewhere:
//! - refused: indefinite lengths, any tag but 42, a link that is not a byte string of `0x00`
//!   followed by a CID in its one canonical spelling, reserved simple values, bytes after the
//!   item, anything truncated;
//! - not checked: UTF-8 in strings, minimal integer heads, map key order (none of which can
//!   change what a block links to; the block's hash already fixes its bytes).
//!
//! Bounds: nesting deeper than `max_depth` and more than `max_links` links stop the walk; an
//! array or map head claiming more items than there are bytes fails at the end of input without
//! allocating, since nothing is allocated per item but the links.

use cbor4ii::core::dec::{Decode, Read, Reference};
use cbor4ii::core::error::{DecodeError, Never};
use cbor4ii::core::utils::SliceReader;
use cbor4ii::core::{major, types};
use cid::Cid;

use crate::links::LinkLimits;

/// Why the walk stopped.
#[derive(Debug)]
pub(crate) enum Fault {
    Depth,
    Links,
    /// Not DAG-CBOR; the text says why and at which byte.
    Bad(String),
}

/// The tag of a CID link.
const TAG_CID: u64 = 42;

struct Walk<'a> {
    reader: SliceReader<'a>,
    len: usize,
    limits: &'a LinkLimits,
    links: Vec<Cid>,
}

/// The links of the DAG-CBOR `bytes`.
pub(crate) fn links(bytes: &[u8], limits: &LinkLimits) -> Result<Vec<Cid>, Fault> {
    let mut walk = Walk { reader: SliceReader::new(bytes), len: bytes.len(), limits, links: Vec::new() };
    walk.item(0)?;
    let end = walk.pos();
    if end != walk.len {
        return Err(Fault::Bad(format!("{} stray bytes after the item at byte {end}", walk.len - end)));
    }
    Ok(walk.links)
}

impl<'a> Walk<'a> {
    fn pos(&mut self) -> usize {
        let rest = match self.reader.fill(usize::MAX) {
            Ok(Reference::Long(rest)) => rest.len(),
            Ok(Reference::Short(rest)) => rest.len(),
            Err(never) => match never {},
        };
        self.len - rest
    }

    /// Maps a decoder error (truncation, a wrong type) to a fault at the current byte.
    fn decoded<T>(&self, at: usize, r: Result<T, DecodeError<Never>>) -> Result<T, Fault> {
        r.map_err(|e| Fault::Bad(format!("{e:?} at byte {at}")))
    }

    fn item(&mut self, depth: usize) -> Result<(), Fault> {
        let at = self.pos();
        let head = match self.reader.fill(1) {
            Ok(Reference::Long([b, ..])) => *b,
            _ => return Err(Fault::Bad(format!("the input ends early at byte {at}"))),
        };
        if head & 0x1f == 31 {
            return Err(Fault::Bad(format!("an indefinite-length item (not DAG-CBOR) at byte {at}")));
        }
        match head >> 5 {
            major::UNSIGNED => {
                let r = u64::decode(&mut self.reader);
                self.decoded(at, r)?;
            }
            major::NEGATIVE => {
                let r = types::Negative::<u64>::decode(&mut self.reader);
                self.decoded(at, r)?;
            }
            major::BYTES => {
                let r = types::Bytes::<&[u8]>::decode(&mut self.reader);
                self.decoded(at, r)?;
            }
            major::STRING => {
                let r = types::UncheckedStr::<&[u8]>::decode(&mut self.reader);
                self.decoded(at, r)?;
            }
            major::ARRAY | major::MAP => {
                if depth >= self.limits.max_depth {
                    return Err(Fault::Depth);
                }
                let pairs = head >> 5 == major::MAP;
                let r = if pairs { types::Map::len(&mut self.reader) } else { types::Array::len(&mut self.reader) };
                let n = self.decoded(at, r)?.ok_or_else(|| Fault::Bad(format!("indefinite length at byte {at}")))?;
                for _ in 0..n {
                    self.item(depth + 1)?;
                    if pairs {
                        self.item(depth + 1)?;
                    }
                }
            }
            major::TAG => {
                let r = types::Tag::tag(&mut self.reader);
                let tag = self.decoded(at, r)?;
                if tag != TAG_CID {
                    return Err(Fault::Bad(format!("tag {tag} at byte {at}: DAG-CBOR has only tag 42")));
                }
                self.link(at)?;
            }
            _ => self.simple(at, head)?,
        }
        Ok(())
    }

    /// The byte string after a tag 42: `0x00` then the CID.
    fn link(&mut self, at: usize) -> Result<(), Fault> {
        let r = types::Bytes::<&[u8]>::decode(&mut self.reader);
        let bytes = self.decoded(at, r)?.0;
        let Some((&0x00, cid_bytes)) = bytes.split_first() else {
            return Err(Fault::Bad(format!("the link at byte {at} does not start with 0x00")));
        };
        let cid =
            Cid::try_from(cid_bytes).map_err(|e| Fault::Bad(format!("invalid CID in the link at byte {at}: {e}")))?;
        if cid.to_bytes() != cid_bytes {
            return Err(Fault::Bad(format!("the CID in the link at byte {at} is not in canonical form")));
        }
        if self.links.len() == self.limits.max_links {
            return Err(Fault::Links);
        }
        self.links.push(cid);
        Ok(())
    }

    /// false, true, null and floats; nothing else of major type 7 is DAG-CBOR.
    fn simple(&mut self, at: usize, head: u8) -> Result<(), Fault> {
        match head {
            0xf4..=0xf6 => {
                self.reader.advance(1);
                Ok(())
            }
            0xf9 => {
                let r = types::F16::decode(&mut self.reader);
                self.decoded(at, r).map(drop)
            }
            0xfa => {
                let r = f32::decode(&mut self.reader);
                self.decoded(at, r).map(drop)
            }
            0xfb => {
                let r = f64::decode(&mut self.reader);
                self.decoded(at, r).map(drop)
            }
            _ => Err(Fault::Bad(format!("simple value {head:#04x} at byte {at} is not DAG-CBOR"))),
        }
    }
}
