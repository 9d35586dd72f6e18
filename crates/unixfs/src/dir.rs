//! Directories: a plain dag-pb directory, or a HAMT once the profile's size rule says it is too
//! big for one block.
//!
//! Both IPIP-499 rules compare with `>`: a directory exactly at the 256 KiB threshold stays
//! plain, as boxo does and as Kubo's conformance vectors check.

use sha2::{Digest, Sha256};

use crate::block::{BlockSink, DAG_PB, cid_from_digest};
use crate::data::{DataType, UnixFsData};
use crate::error::ImportError;
use crate::file::{Node, put};
use crate::hamt;
use crate::pb::{PbLink, PbNode, data_field_len};
use crate::profile::{HAMT_THRESHOLD, Profile, ShardRule};

/// One named child of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub node: Node,
}

/// Builds a directory over `entries` (names must be unique) and returns its root node.
pub fn build_directory(
    mut entries: Vec<DirEntry>,
    profile: &Profile,
    sink: &mut dyn BlockSink,
) -> Result<Node, ImportError> {
    entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    if needs_sharding(&entries, profile) {
        let entries = entries.iter().map(|e| hamt::Entry::new(&e.name, e.node)).collect();
        return hamt::build(entries, profile, sink);
    }
    let links: Vec<PbLink> = entries.iter().map(|e| PbLink::named(e.name.clone(), e.node.cid, e.node.tsize)).collect();
    let node = PbNode { links, data: Some(UnixFsData::new(DataType::Directory).encode()) };
    let bytes = node.encode();
    let cid = cid_from_digest(profile.cid_version, DAG_PB, &Sha256::digest(&bytes).into());
    put(sink, &cid, &bytes)?;
    let tsize = bytes.len() as u64 + entries.iter().map(|e| e.node.tsize).sum::<u64>();
    Ok(Node { cid, filesize: 0, tsize })
}

/// Whether a directory with these entries must be a HAMT under `profile`.
pub fn needs_sharding(entries: &[DirEntry], profile: &Profile) -> bool {
    match profile.shard_rule {
        ShardRule::EntryCount(max) => entries.len() > max,
        ShardRule::LinksBytes => {
            let size: usize = entries.iter().map(|e| e.name.len() + e.node.cid.encoded_len()).sum();
            size > HAMT_THRESHOLD
        }
        ShardRule::BlockBytes => {
            // The plain directory's exact encoded size: every link plus the 2-byte Data field.
            let data = data_field_len(UnixFsData::new(DataType::Directory).encode().len());
            let links: usize =
                entries.iter().map(|e| PbLink::named(e.name.clone(), e.node.cid, e.node.tsize).encoded_len()).sum();
            links + data > HAMT_THRESHOLD
        }
    }
}

/// Builds and stores a symlink node pointing at `target`.
pub fn build_symlink(target: &[u8], profile: &Profile, sink: &mut dyn BlockSink) -> Result<Node, ImportError> {
    let mut data = UnixFsData::new(DataType::Symlink);
    data.data = Some(target);
    let bytes = PbNode { links: vec![], data: Some(data.encode()) }.encode();
    let cid = cid_from_digest(profile.cid_version, DAG_PB, &Sha256::digest(&bytes).into());
    put(sink, &cid, &bytes)?;
    Ok(Node { cid, filesize: 0, tsize: bytes.len() as u64 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::{MemoryBlocks, RAW, sha256_cid};

    fn entry(name: &str) -> DirEntry {
        DirEntry { name: name.into(), node: Node { cid: sha256_cid(1, RAW, b"x"), filesize: 1, tsize: 1 } }
    }

    #[test]
    fn empty_directory_matches_kubo() {
        let mut sink = MemoryBlocks::new();
        let v0 = build_directory(vec![], &Profile::UNIXFS_V0_2015, &mut sink).unwrap();
        assert_eq!(v0.cid.to_string(), "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
        let v1 = build_directory(vec![], &Profile::UNIXFS_V1_2025, &mut sink).unwrap();
        assert_eq!(v1.cid.to_string(), "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354");
    }

    #[test]
    fn block_bytes_rule_is_exact_at_the_threshold() {
        // Kubo's vector: 4765 links of 55 bytes, one of 65, plus 4 bytes of data = 262144.
        let mut entries: Vec<DirEntry> = (0..4765).map(|i| entry(&format!("{i:011}"))).collect();
        entries.push(entry(&"z".repeat(21)));
        assert!(!needs_sharding(&entries, &Profile::UNIXFS_V1_2025));
        entries.last_mut().unwrap().name.push('z');
        assert!(needs_sharding(&entries, &Profile::UNIXFS_V1_2025));
    }

    #[test]
    fn entry_count_rule() {
        let profile = Profile::IPFS_CAR;
        let entries: Vec<DirEntry> = (0..1000).map(|i| entry(&i.to_string())).collect();
        assert!(!needs_sharding(&entries, &profile));
        let entries: Vec<DirEntry> = (0..1001).map(|i| entry(&i.to_string())).collect();
        assert!(needs_sharding(&entries, &profile));
    }
}
