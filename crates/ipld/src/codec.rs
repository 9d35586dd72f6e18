//! The codec table: the multicodec names of the codecs a CID may name, and which of them this
//! crate reads links from ([`crate::links`]).
//!
//! Links are read from dag-pb (the `Hash` of each `PBLink`), DAG-CBOR (every tag-42 CID, at any
//! depth) and DAG-JSON (every `{"/": "<cid>"}`). raw, cbor (0x51) and json (0x0200) blocks
//! cannot hold links by definition; any other codec's blocks are leaves to us, and callers that
//! judge completeness say so rather than claim it.

/// The raw codec: bytes with no structure (file chunks).
pub const RAW: u64 = 0x55;
/// dag-pb: the protobuf of UnixFS.
pub const DAG_PB: u64 = 0x70;
/// DAG-CBOR: links are CBOR tag 42 over `0x00 ‖ CID bytes`.
pub const DAG_CBOR: u64 = 0x71;
/// DAG-JSON: links are `{"/": "<CID string>"}`.
pub const DAG_JSON: u64 = 0x0129;
/// Plain CBOR: no links.
pub const CBOR: u64 = 0x51;
/// Plain JSON: no links.
pub const JSON: u64 = 0x0200;

/// How the links of a codec's blocks are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkReader {
    /// The codec cannot express links (raw, cbor, json).
    None,
    DagPb,
    DagCbor,
    DagJson,
    /// Not a codec this crate reads: its blocks may hold links we cannot see.
    Unknown,
}

/// One row of the table.
struct Entry {
    code: u64,
    name: &'static str,
    links: LinkReader,
}

const TABLE: &[Entry] = &[
    Entry { code: RAW, name: "raw", links: LinkReader::None },
    Entry { code: DAG_PB, name: "dag-pb", links: LinkReader::DagPb },
    Entry { code: DAG_CBOR, name: "dag-cbor", links: LinkReader::DagCbor },
    Entry { code: DAG_JSON, name: "dag-json", links: LinkReader::DagJson },
    Entry { code: CBOR, name: "cbor", links: LinkReader::None },
    Entry { code: JSON, name: "json", links: LinkReader::None },
    // Named so listings read well; their links (if any) are not read.
    Entry { code: 0x72, name: "libp2p-key", links: LinkReader::Unknown },
    Entry { code: 0x78, name: "git-raw", links: LinkReader::Unknown },
    Entry { code: 0x85, name: "dag-jose", links: LinkReader::Unknown },
    Entry { code: 0x86, name: "dag-cose", links: LinkReader::Unknown },
    Entry { code: 0x90, name: "eth-block", links: LinkReader::Unknown },
    Entry { code: 0x0202, name: "car", links: LinkReader::Unknown },
    Entry { code: 0xf101, name: "fil-commitment-unsealed", links: LinkReader::Unknown },
    Entry { code: 0xf102, name: "fil-commitment-sealed", links: LinkReader::Unknown },
];

fn entry(code: u64) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.code == code)
}

/// The multicodec name of `code` (`dag-cbor`, …), or its hex code for one not in the table.
pub fn codec_name(code: u64) -> String {
    entry(code).map_or_else(|| format!("{code:#x}"), |e| e.name.to_owned())
}

/// How links are read from blocks of codec `code`.
pub fn link_reader(code: u64) -> LinkReader {
    entry(code).map_or(LinkReader::Unknown, |e| e.links)
}

/// Whether blocks of this codec are read to follow their links (dag-pb, DAG-CBOR, DAG-JSON).
/// A walker looks the others up without reading them.
pub fn follows_links(code: u64) -> bool {
    matches!(link_reader(code), LinkReader::DagPb | LinkReader::DagCbor | LinkReader::DagJson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(codec_name(DAG_CBOR), "dag-cbor");
        assert_eq!(codec_name(0x12345), "0x12345");
        assert!(follows_links(DAG_PB) && follows_links(DAG_CBOR) && follows_links(DAG_JSON));
        assert!(!follows_links(RAW) && !follows_links(0x78) && !follows_links(0x12345));
        assert_eq!(link_reader(RAW), LinkReader::None);
        assert_eq!(link_reader(0x78), LinkReader::Unknown);
        let mut codes: Vec<u64> = TABLE.iter().map(|e| e.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TABLE.len(), "one row per code");
    }
}
