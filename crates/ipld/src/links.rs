//! `links(cid, bytes)`: the CIDs a block links to, whatever its codec. The one place that knows
//! how each codec spells a link, so `car verify`, `gc`, `check` and export agree on what a DAG
//! reaches.
//!
//! Decoding is bounded: a block over [`LinkLimits::max_block`] is refused before a byte is
//! decoded, nesting deeper than [`LinkLimits::max_depth`] and more than
//! [`LinkLimits::max_links`] links stop the decoder, so a hostile block costs at most its size
//! in time and the links' size in memory. DAG-CBOR is walked with `cbor4ii`'s item decoders
//! (`cbor.rs` says why not `serde_ipld_dagcbor`); DAG-JSON is decoded with `serde_ipld_dagjson`
//! through a serde visitor that keeps only the links. Neither builds a tree of values.

use std::fmt;

use cid::Cid;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::codec::{self, LinkReader};
use crate::error::LinksError;
use crate::pb::PbNode;

/// Bounds on decoding one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLimits {
    /// Largest block decoded, in bytes: the CAR reader's section limit.
    pub max_block: usize,
    /// Deepest nesting of lists and maps (DAG-CBOR, DAG-JSON). Each level is a stack frame of
    /// the walk; serde_json also stops at 128 by itself.
    pub max_depth: usize,
    /// Most links one block may hold. 262,144 CIDs are about 20 MB in memory; a well-formed
    /// 8 MiB dag-pb node of sha2-256 links holds fewer.
    pub max_links: usize,
}

impl Default for LinkLimits {
    fn default() -> Self {
        Self { max_block: 8 << 20, max_depth: 64, max_links: 1 << 18 }
    }
}

/// The links of the block `cid` whose (verified) bytes are `bytes`, in the order the block
/// holds them, under the default [`LinkLimits`]. A codec that cannot hold links gives none; one
/// this crate does not read is [`LinksError::UnknownCodec`].
pub fn links(cid: &Cid, bytes: &[u8]) -> Result<Vec<Cid>, LinksError> {
    links_with(cid, bytes, &LinkLimits::default())
}

/// [`links`] under the given limits.
pub fn links_with(cid: &Cid, bytes: &[u8], limits: &LinkLimits) -> Result<Vec<Cid>, LinksError> {
    let cid = *cid;
    let reader = codec::link_reader(cid.codec());
    if reader == LinkReader::None {
        return Ok(Vec::new());
    }
    if reader == LinkReader::Unknown {
        return Err(LinksError::UnknownCodec { cid, codec: cid.codec() });
    }
    if bytes.len() > limits.max_block {
        return Err(LinksError::TooLarge { cid, len: bytes.len(), max: limits.max_block });
    }
    if reader == LinkReader::DagPb {
        let node = PbNode::decode(bytes).map_err(|source| LinksError::DagPb { cid, source })?;
        if node.links.len() > limits.max_links {
            return Err(LinksError::TooManyLinks { cid, max: limits.max_links });
        }
        return Ok(node.links.into_iter().map(|l| l.cid).collect());
    }
    if reader == LinkReader::DagCbor {
        return crate::cbor::links(bytes, limits).map_err(|fault| match fault {
            crate::cbor::Fault::Depth => LinksError::TooDeep { cid, max: limits.max_depth },
            crate::cbor::Fault::Links => LinksError::TooManyLinks { cid, max: limits.max_links },
            crate::cbor::Fault::Bad(message) => LinksError::Malformed { cid, codec: "DAG-CBOR", message },
        });
    }
    let mut state = State { links: Vec::new(), limits: *limits, breach: None };
    let collector = Collector { state: &mut state, depth: 0 };
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let result = collector.deserialize(serde_ipld_dagjson::Deserializer::new(&mut json));
    let result = result.and_then(|()| json.end());
    match (result, state.breach) {
        (Ok(()), _) => Ok(state.links),
        (Err(_), Some(Breach::Depth)) => Err(LinksError::TooDeep { cid, max: limits.max_depth }),
        (Err(_), Some(Breach::Links)) => Err(LinksError::TooManyLinks { cid, max: limits.max_links }),
        (Err(e), None) => Err(LinksError::Malformed { cid, codec: "DAG-JSON", message: e.to_string() }),
    }
}

/// What the visitor accumulates across the whole block.
struct State {
    links: Vec<Cid>,
    limits: LinkLimits,
    /// Which limit stopped decoding, so it is reported as itself, not as a decoder message.
    breach: Option<Breach>,
}

#[derive(Debug, Clone, Copy)]
enum Breach {
    Depth,
    Links,
}

/// A serde visitor that walks any DAG-JSON value and keeps only its links.
struct Collector<'a> {
    state: &'a mut State,
    depth: usize,
}

impl Collector<'_> {
    fn child(&mut self) -> Result<Collector<'_>, Breach> {
        if self.depth >= self.state.limits.max_depth {
            return Err(Breach::Depth);
        }
        Ok(Collector { state: &mut *self.state, depth: self.depth + 1 })
    }

    fn stop<E: de::Error>(&mut self, breach: Breach) -> E {
        self.state.breach = Some(breach);
        E::custom(match breach {
            Breach::Depth => "nested too deep",
            Breach::Links => "too many links",
        })
    }
}

/// Reads a link's CID bytes, refusing any but the one canonical spelling (the `cid` crate's
/// varints accept overlong forms, and one link must have one encoding).
struct CidBytes;

impl<'de> Visitor<'de> for CidBytes {
    type Value = Cid;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the bytes of a CID")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Cid, E> {
        let cid = Cid::try_from(bytes).map_err(|e| E::custom(format!("invalid CID in a link: {e}")))?;
        if cid.to_bytes() != bytes {
            return Err(E::custom("a link's CID is not in canonical form"));
        }
        Ok(cid)
    }
}

impl<'de> DeserializeSeed<'de> for Collector<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Collector<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an IPLD value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    /// `serde_ipld_dagjson` hands a link over as the newtype struct the `cid` crate's serde impl
    /// reads, its content the CID's bytes.
    fn visit_newtype_struct<D: de::Deserializer<'de>>(mut self, deserializer: D) -> Result<(), D::Error> {
        let cid = deserializer.deserialize_bytes(CidBytes)?;
        if self.state.links.len() == self.state.limits.max_links {
            return Err(self.stop(Breach::Links));
        }
        self.state.links.push(cid);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let child = match self.child() {
                Ok(child) => child,
                Err(breach) => return Err(self.stop(breach)),
            };
            if seq.next_element_seed(child)?.is_none() {
                return Ok(());
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            let child = match self.child() {
                Ok(child) => child,
                Err(breach) => return Err(self.stop(breach)),
            };
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{DAG_CBOR, DAG_JSON, DAG_PB, RAW};
    use crate::pb::PbLink;
    use crate::testutil::sha256_cid;

    /// CBOR tag 42 over `0x00 ‖ cid`, as DAG-CBOR spells a link.
    fn cbor_link(cid: &Cid) -> Vec<u8> {
        let bytes = cid.to_bytes();
        let mut out = vec![0xd8, 0x2a, 0x58, bytes.len() as u8 + 1, 0x00];
        out.extend_from_slice(&bytes);
        out
    }

    fn leaf(n: u8) -> Cid {
        sha256_cid(1, RAW, &[n])
    }

    #[test]
    fn dag_cbor_links_at_any_depth_in_order() {
        // {"a": link1, "b": [1, {"c": link2}], "d": h'00'}
        let mut block = vec![0xa3, 0x61, b'a'];
        block.extend(cbor_link(&leaf(1)));
        block.extend([0x61, b'b', 0x82, 0x01, 0xa1, 0x61, b'c']);
        block.extend(cbor_link(&leaf(2)));
        block.extend([0x61, b'd', 0x41, 0x00]);
        let cid = sha256_cid(1, DAG_CBOR, &block);
        assert_eq!(links(&cid, &block).unwrap(), vec![leaf(1), leaf(2)]);
        // The same bytes under dag-json are not JSON.
        let as_json = Cid::new_v1(DAG_JSON, *cid.hash());
        assert!(matches!(links(&as_json, &block), Err(LinksError::Malformed { codec: "DAG-JSON", .. })));
    }

    #[test]
    fn dag_cbor_strings_need_not_be_utf8() {
        // ["\xff\xfe", link]: Filecoin chain blocks hold such strings; the link is still found.
        let mut block = vec![0x82, 0x62, 0xff, 0xfe];
        block.extend(cbor_link(&leaf(1)));
        let cid = sha256_cid(1, DAG_CBOR, &block);
        assert_eq!(links(&cid, &block).unwrap(), vec![leaf(1)]);
    }

    #[test]
    fn dag_cbor_refuses_what_is_not_dag_cbor() {
        let cid = sha256_cid(1, DAG_CBOR, b"");
        // Indefinite-length array, tag 43, trailing byte, truncated link.
        let mut overlong = cbor_link(&leaf(1));
        overlong.splice(5..6, [0x81, 0x00]); // CID version 1 as a two-byte varint
        overlong[3] += 1;
        let bad: [&[u8]; 6] = [
            &[0x9f, 0x01, 0xff],
            &[0xd8, 0x2b, 0x01],
            &[0x01, 0x01],
            &cbor_link(&leaf(1))[..20],
            &[0xf7 + 1],
            &overlong,
        ];
        for bad in bad {
            assert!(matches!(links(&cid, bad), Err(LinksError::Malformed { .. })), "{bad:02x?}");
        }
    }

    #[test]
    fn dag_json_links() {
        let text = format!(
            r#"{{"a":{{"/":"{}"}},"b":[{{"/":{{"bytes":"AAE"}}}},{{"/":"{}"}}],"c":"not a link"}}"#,
            leaf(1),
            leaf(2)
        );
        let cid = sha256_cid(1, DAG_JSON, text.as_bytes());
        assert_eq!(links(&cid, text.as_bytes()).unwrap(), vec![leaf(1), leaf(2)]);
        let bad = r#"{"/":"not a cid"}"#;
        assert!(matches!(links(&cid, bad.as_bytes()), Err(LinksError::Malformed { .. })));
    }

    #[test]
    fn dag_pb_raw_and_unknown() {
        let node = PbNode { links: vec![PbLink::named("x", leaf(1), 1), PbLink::named("y", leaf(2), 1)], data: None };
        let bytes = node.encode();
        assert_eq!(links(&sha256_cid(1, DAG_PB, &bytes), &bytes).unwrap(), vec![leaf(1), leaf(2)]);
        assert!(matches!(links(&sha256_cid(1, DAG_PB, b"\xff"), b"\xff"), Err(LinksError::DagPb { .. })));
        assert_eq!(links(&leaf(1), &[1]).unwrap(), vec![]);
        let git = Cid::new_v1(0x78, *leaf(1).hash());
        assert!(matches!(links(&git, b""), Err(LinksError::UnknownCodec { codec: 0x78, .. })));
    }

    #[test]
    fn limits_hold() {
        // 200 nested arrays around a link.
        let mut deep = vec![0x81; 200];
        deep.extend(cbor_link(&leaf(1)));
        let cid = sha256_cid(1, DAG_CBOR, &deep);
        assert!(matches!(links(&cid, &deep), Err(LinksError::TooDeep { max: 64, .. })));
        let shallow = LinkLimits { max_depth: 256, ..LinkLimits::default() };
        // Within the limit the link is found.
        assert!(links_with(&cid, &deep[100..], &shallow).is_ok());

        // An array of 5 links against a limit of 4.
        let mut many = vec![0x85];
        for n in 0..5 {
            many.extend(cbor_link(&leaf(n)));
        }
        let four = LinkLimits { max_links: 4, ..LinkLimits::default() };
        assert!(matches!(links_with(&cid, &many, &four), Err(LinksError::TooManyLinks { max: 4, .. })));
        assert_eq!(links(&cid, &many).unwrap().len(), 5);

        let small = LinkLimits { max_block: 10, ..LinkLimits::default() };
        assert!(matches!(links_with(&cid, &many, &small), Err(LinksError::TooLarge { max: 10, .. })));
        // Deep JSON is bounded too.
        let json = format!("{}{}", "[".repeat(300), "]".repeat(300));
        let jcid = sha256_cid(1, DAG_JSON, json.as_bytes());
        assert!(links(&jcid, json.as_bytes()).is_err());
    }
}
