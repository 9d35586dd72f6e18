//! Fuzzes the dag-pb and UnixFS `Data` decoders.
//!
//! The dag-pb decoder accepts only the canonical encoding, so any block it accepts must
//! re-encode to exactly the same bytes (one DAG, one CID). The UnixFS message is not held to
//! that (e.g. `mode` is truncated to 32 bits on decode), only to encode/decode being stable.

#![no_main]

use ipfs_kit_unixfs::data::UnixFsData;
use ipfs_kit_unixfs::pb::PbNode;
use libfuzzer_sys::fuzz_target;

fn check_unixfs(bytes: &[u8]) {
    if let Ok(msg) = UnixFsData::decode(bytes) {
        let encoded = msg.encode();
        let again = UnixFsData::decode(&encoded).expect("re-encoded UnixFS Data must decode");
        assert_eq!(again, msg, "UnixFS Data changed across encode/decode");
        assert_eq!(again.encode(), encoded, "UnixFS Data encoding not stable");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(node) = PbNode::decode(data) {
        let encoded = node.encode();
        assert_eq!(encoded, data, "accepted dag-pb block does not re-encode to the same bytes");
        assert_eq!(node.encoded_len(), data.len(), "encoded_len disagrees with encode");
        if let Some(inner) = &node.data {
            check_unixfs(inner);
        }
    }
    check_unixfs(data);
});
