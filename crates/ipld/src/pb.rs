//! dag-pb: the `PBNode`/`PBLink` protobuf that every UnixFS block is wrapped in.
//!
//! The byte layout is fixed by the dag-pb spec, not by protobuf: links (field 2) come before
//! data (field 1), link fields come in the order Hash, Name, Tsize, and links are sorted by name
//! bytes. Encoding always produces that form and decoding refuses anything else, so one DAG has
//! exactly one encoding and therefore one CID.

use cid::Cid;

use crate::error::DecodeError;
use crate::varint;

/// A link from one dag-pb node to another block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbLink {
    pub cid: Cid,
    /// Kubo and Helia write an empty name on file links, and an absent one is different bytes.
    pub name: Option<String>,
    /// The cumulative size of the target: its block plus every block below it.
    pub tsize: Option<u64>,
}

/// A dag-pb node: sorted links and optional opaque data (a UnixFS `Data` message for UnixFS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PbNode {
    pub links: Vec<PbLink>,
    pub data: Option<Vec<u8>>,
}

impl PbLink {
    /// A named link, as directories and HAMT shards use.
    pub fn named(name: impl Into<String>, cid: Cid, tsize: u64) -> Self {
        PbLink { cid, name: Some(name.into()), tsize: Some(tsize) }
    }

    fn name_bytes(&self) -> &[u8] {
        self.name.as_deref().unwrap_or("").as_bytes()
    }

    /// The length of this link's body, without the outer tag and length.
    fn body_len(&self) -> usize {
        let cid_len = self.cid.encoded_len();
        let mut len = 1 + varint::len(cid_len as u64) + cid_len;
        if let Some(name) = &self.name {
            len += 1 + varint::len(name.len() as u64) + name.len();
        }
        if let Some(tsize) = self.tsize {
            len += 1 + varint::len(tsize);
        }
        len
    }

    /// The bytes this link adds to an encoded node: the "block-bytes" size estimate of IPIP-499.
    pub fn encoded_len(&self) -> usize {
        let body = self.body_len();
        1 + varint::len(body as u64) + body
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(0x12);
        varint::put(out, self.body_len() as u64);
        out.push(0x0a);
        varint::put(out, self.cid.encoded_len() as u64);
        self.cid.write_bytes(&mut *out).expect("writing to a Vec cannot fail");
        if let Some(name) = &self.name {
            out.push(0x12);
            varint::put(out, name.len() as u64);
            out.extend_from_slice(name.as_bytes());
        }
        if let Some(tsize) = self.tsize {
            out.push(0x18);
            varint::put(out, tsize);
        }
    }
}

/// The bytes a `Data` field of `len` bytes adds to an encoded node.
pub fn data_field_len(len: usize) -> usize {
    1 + varint::len(len as u64) + len
}

impl PbNode {
    /// Encodes in canonical form, sorting links by name if the caller has not.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        if self.links.is_sorted_by(|a, b| a.name_bytes() <= b.name_bytes()) {
            self.links.iter().for_each(|l| l.encode_into(&mut out));
        } else {
            let mut sorted: Vec<&PbLink> = self.links.iter().collect();
            sorted.sort_by(|a, b| a.name_bytes().cmp(b.name_bytes()));
            sorted.iter().for_each(|l| l.encode_into(&mut out));
        }
        if let Some(data) = &self.data {
            out.push(0x0a);
            varint::put(&mut out, data.len() as u64);
            out.extend_from_slice(data);
        }
        out
    }

    /// The exact length of `encode()`'s output, computed without encoding.
    pub fn encoded_len(&self) -> usize {
        let links: usize = self.links.iter().map(PbLink::encoded_len).sum();
        links + self.data.as_ref().map_or(0, |d| data_field_len(d.len()))
    }

    /// Decodes a block, refusing anything that is not in canonical form.
    pub fn decode(buf: &[u8]) -> Result<PbNode, DecodeError> {
        let mut node = PbNode::default();
        let mut pos = 0;
        while pos < buf.len() {
            let at = pos;
            let tag = varint::get(buf, &mut pos)?;
            let (field, wire_type) = (tag >> 3, tag & 7);
            if wire_type != 2 || !(field == 1 || field == 2) {
                return Err(unexpected("PBNode", field, wire_type, at));
            }
            let body = length_delimited(buf, &mut pos)?;
            if node.data.is_some() {
                // Data is written last and once; anything after it is out of order.
                return Err(DecodeError::FieldOrder { message: "PBNode", field, offset: at });
            }
            if field == 1 {
                node.data = Some(body.to_vec());
            } else {
                node.links.push(decode_link(body, pos - body.len())?);
            }
        }
        for (index, pair) in node.links.windows(2).enumerate() {
            if pair[0].name_bytes() > pair[1].name_bytes() {
                return Err(DecodeError::UnsortedLinks { index: index + 1 });
            }
        }
        Ok(node)
    }
}

fn unexpected(message: &'static str, field: u64, wire_type: u64, offset: usize) -> DecodeError {
    DecodeError::UnexpectedField { message, field, wire_type, offset }
}

/// Reads a length prefix and returns the bytes it covers (the UnixFS `Data` message uses it too).
pub fn length_delimited<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a [u8], DecodeError> {
    let at = *pos;
    let len = varint::get(buf, pos)?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| pos.checked_add(len))
        .filter(|&end| end <= buf.len())
        .ok_or(DecodeError::Truncated { offset: at })?;
    let body = &buf[*pos..end];
    *pos = end;
    Ok(body)
}

/// Decodes one PBLink; `base` is its offset in the enclosing block, for error messages.
fn decode_link(buf: &[u8], base: usize) -> Result<PbLink, DecodeError> {
    let mut pos = 0;
    let mut last_field = 0;
    let (mut cid, mut name, mut tsize) = (None, None, None);
    while pos < buf.len() {
        let at = base + pos;
        let tag = varint::get(buf, &mut pos).map_err(|e| shift(e, base))?;
        let (field, wire_type) = (tag >> 3, tag & 7);
        if field <= last_field {
            return Err(DecodeError::FieldOrder { message: "PBLink", field, offset: at });
        }
        last_field = field;
        match (field, wire_type) {
            (1, 2) => {
                let bytes = length_delimited(buf, &mut pos).map_err(|e| shift(e, base))?;
                cid = Some(decode_cid(bytes).ok_or(DecodeError::InvalidCid { offset: at })?);
            }
            (2, 2) => {
                let bytes = length_delimited(buf, &mut pos).map_err(|e| shift(e, base))?;
                let s = std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidName { offset: at })?;
                name = Some(s.to_owned());
            }
            (3, 0) => tsize = Some(varint::get(buf, &mut pos).map_err(|e| shift(e, base))?),
            _ => return Err(unexpected("PBLink", field, wire_type, at)),
        }
    }
    let cid = cid.ok_or(DecodeError::MissingField { message: "PBLink", field: "Hash" })?;
    Ok(PbLink { cid, name, tsize })
}

/// Parses CID bytes, refusing trailing garbage.
fn decode_cid(bytes: &[u8]) -> Option<Cid> {
    let mut cursor = std::io::Cursor::new(bytes);
    let cid = Cid::read_bytes(&mut cursor).ok()?;
    // The cid crate's varints accept a 10-byte form and drop bits past 64, so one CID has
    // several spellings; only the canonical one may name a link (found by fuzzing).
    (cursor.position() as usize == bytes.len() && cid.to_bytes() == bytes).then_some(cid)
}

/// Moves an offset inside a link to an offset inside the block.
fn shift(err: DecodeError, base: usize) -> DecodeError {
    match err {
        DecodeError::Truncated { offset } => DecodeError::Truncated { offset: offset + base },
        DecodeError::VarintOverflow { offset } => DecodeError::VarintOverflow { offset: offset + base },
        DecodeError::NonMinimalVarint { offset } => DecodeError::NonMinimalVarint { offset: offset + base },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{DAG_PB, RAW};
    use crate::testutil::sha256_cid;

    fn cid(n: u8) -> Cid {
        sha256_cid(1, RAW, &[n])
    }

    #[test]
    fn an_overlong_cid_spelling_is_refused() {
        // Link Hash = CIDv1 with codec 0x70 written as a 10-byte varint (fuzzing found it).
        let mut block = vec![0x12, 0x2f, 0x0a, 0x2d, 0x01, 0xf0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02];
        block.extend([0x12, 0x20]);
        block.extend([0x11; 32]);
        assert!(PbNode::decode(&block).is_err());
    }

    #[test]
    fn empty_node_is_empty_bytes() {
        assert_eq!(PbNode::default().encode(), Vec::<u8>::new());
        assert_eq!(PbNode::decode(&[]).unwrap(), PbNode::default());
    }

    #[test]
    fn links_are_written_before_data_and_sorted() {
        let node = PbNode {
            links: vec![PbLink::named("b", cid(2), 1), PbLink::named("a", cid(1), 1)],
            data: Some(vec![8, 1]),
        };
        let bytes = node.encode();
        assert_eq!(bytes.len(), node.encoded_len());
        assert_eq!(bytes[0], 0x12, "first field is a link");
        assert_eq!(&bytes[bytes.len() - 4..], &[0x0a, 2, 8, 1], "data comes last");
        let back = PbNode::decode(&bytes).unwrap();
        assert_eq!(back.links[0].name.as_deref(), Some("a"));
        assert_eq!(back.links[1].name.as_deref(), Some("b"));
        assert_eq!(back.encode(), bytes);
    }

    #[test]
    fn known_directory_bytes() {
        // The empty UnixFS directory: PBNode{Data: Data{Type: Directory}}.
        let node = PbNode { links: vec![], data: Some(vec![0x08, 0x01]) };
        let cid = sha256_cid(0, DAG_PB, &node.encode());
        assert_eq!(cid.to_string(), "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
    }

    #[test]
    fn rejects_data_before_links() {
        let link = PbNode { links: vec![PbLink::named("a", cid(1), 1)], data: None }.encode();
        let mut bytes = vec![0x0a, 0x00];
        bytes.extend_from_slice(&link);
        assert!(matches!(PbNode::decode(&bytes), Err(DecodeError::FieldOrder { .. })));
    }

    #[test]
    fn rejects_unsorted_links() {
        let a = PbNode { links: vec![PbLink::named("a", cid(1), 1)], data: None }.encode();
        let b = PbNode { links: vec![PbLink::named("b", cid(1), 1)], data: None }.encode();
        let bytes = [b, a].concat();
        assert!(matches!(PbNode::decode(&bytes), Err(DecodeError::UnsortedLinks { index: 1 })));
    }

    #[test]
    fn rejects_malformed_input() {
        // Unknown field 3 in PBNode.
        assert!(matches!(PbNode::decode(&[0x1a, 0x00]), Err(DecodeError::UnexpectedField { .. })));
        // Length beyond the end.
        assert!(matches!(PbNode::decode(&[0x0a, 0x05, 1]), Err(DecodeError::Truncated { .. })));
        // Link without a hash.
        assert!(matches!(PbNode::decode(&[0x12, 0x02, 0x18, 0x01]), Err(DecodeError::MissingField { .. })));
        // Link with Name before Hash.
        let mut link = vec![0x12, 0x01, b'a', 0x0a, 0x22];
        link.extend_from_slice(&cid(1).to_bytes()[..0]);
        let bytes = [vec![0x12, link.len() as u8], link].concat();
        assert!(PbNode::decode(&bytes).is_err());
        // A CID with trailing bytes.
        let mut cid_bytes = cid(1).to_bytes();
        cid_bytes.push(0);
        let body = [vec![0x0a, cid_bytes.len() as u8], cid_bytes].concat();
        let bytes = [vec![0x12, body.len() as u8], body].concat();
        assert!(matches!(PbNode::decode(&bytes), Err(DecodeError::InvalidCid { .. })));
    }
}
