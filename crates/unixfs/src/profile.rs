//! Import profiles: every knob that changes a CID, gathered in one value.
//!
//! A profile is passed to the importer, never set globally (boxo's `ApplyGlobals` forces its
//! tests to save and restore globals). The named profiles are IPIP-499's `unixfs-v1-2025` and
//! `unixfs-v0-2015`, plus `ipfs-car`, which reproduces what `ipfs-car pack` does by default.

use crate::error::ProfileError;

/// The directory size above which IPIP-499 profiles switch to a HAMT.
pub const HAMT_THRESHOLD: usize = 256 * 1024;
/// The HAMT fanout all profiles use: one byte of the hash per level.
pub const HAMT_FANOUT: usize = 256;
/// The largest chunk Kubo accepts.
pub const MAX_CHUNK_SIZE: usize = 1024 * 1024;

/// How a directory's size is measured to decide whether it becomes a HAMT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardRule {
    /// `unixfs-v0-2015`: the sum of name length plus binary CID length over all links, sharded
    /// when it exceeds `HAMT_THRESHOLD`.
    LinksBytes,
    /// `unixfs-v1-2025`: the exact size of the encoded directory block, sharded when it exceeds
    /// `HAMT_THRESHOLD`.
    BlockBytes,
    /// `ipfs-car`: sharded when the directory has more than this many entries.
    EntryCount(usize),
}

/// Everything that decides the CIDs of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub cid_version: u8,
    pub raw_leaves: bool,
    pub chunk_size: usize,
    pub max_links: usize,
    pub shard_rule: ShardRule,
    /// Whether a directory with no files anywhere below it is kept. ipfs-car drops them.
    pub keep_empty_dirs: bool,
}

impl Profile {
    /// IPIP-499 `unixfs-v1-2025`: the default.
    pub const UNIXFS_V1_2025: Profile = Profile {
        name: "unixfs-v1-2025",
        cid_version: 1,
        raw_leaves: true,
        chunk_size: 1024 * 1024,
        max_links: 1024,
        shard_rule: ShardRule::BlockBytes,
        keep_empty_dirs: true,
    };

    /// IPIP-499 `unixfs-v0-2015`: Kubo's historical defaults.
    pub const UNIXFS_V0_2015: Profile = Profile {
        name: "unixfs-v0-2015",
        cid_version: 0,
        raw_leaves: false,
        chunk_size: 256 * 1024,
        max_links: 174,
        shard_rule: ShardRule::LinksBytes,
        keep_empty_dirs: true,
    };

    /// What `ipfs-car pack` produces by default.
    pub const IPFS_CAR: Profile = Profile {
        name: "ipfs-car",
        cid_version: 1,
        raw_leaves: true,
        chunk_size: 1024 * 1024,
        max_links: 1024,
        shard_rule: ShardRule::EntryCount(1000),
        keep_empty_dirs: false,
    };

    /// Looks a profile up by name.
    pub fn named(name: &str) -> Result<Profile, ProfileError> {
        match name {
            "unixfs-v1-2025" => Ok(Self::UNIXFS_V1_2025),
            "unixfs-v0-2015" | "legacy-cid-v0" => Ok(Self::UNIXFS_V0_2015),
            "ipfs-car" => Ok(Self::IPFS_CAR),
            other => Err(ProfileError::UnknownProfile(other.to_owned())),
        }
    }

    /// Applies command-line overrides, as Kubo's `ipfs add` flags do: choosing CIDv1 without
    /// saying anything about leaves turns raw leaves on.
    pub fn with_overrides(mut self, overrides: &Overrides) -> Result<Profile, ProfileError> {
        if let Some(version) = overrides.cid_version {
            if version > 1 {
                return Err(ProfileError::BadCidVersion(version));
            }
            self.cid_version = version as u8;
            if version == 1 && overrides.raw_leaves.is_none() {
                self.raw_leaves = true;
            }
        }
        if let Some(raw) = overrides.raw_leaves {
            self.raw_leaves = raw;
        }
        if let Some(chunker) = &overrides.chunker {
            self.chunk_size = parse_chunker(chunker)?;
        }
        if let Some(max_links) = overrides.max_links {
            if !(2..=65536).contains(&max_links) {
                return Err(ProfileError::BadMaxLinks(max_links));
            }
            self.max_links = max_links;
        }
        Ok(self)
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::UNIXFS_V1_2025
    }
}

/// Explicit settings that take precedence over a profile's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub cid_version: Option<u64>,
    pub raw_leaves: Option<bool>,
    pub chunker: Option<String>,
    pub max_links: Option<usize>,
}

/// Parses Kubo's `size-N` chunker syntax.
pub fn parse_chunker(spec: &str) -> Result<usize, ProfileError> {
    let bad = || ProfileError::BadChunker(spec.to_owned());
    let digits = spec.strip_prefix("size-").ok_or_else(bad)?;
    let size: usize = digits.parse().map_err(|_| bad())?;
    if size == 0 || size > MAX_CHUNK_SIZE {
        return Err(bad());
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chunkers() {
        assert_eq!(parse_chunker("size-262144"), Ok(262144));
        for bad in ["size-0", "size-", "rabin", "size-2097152", "size--1", "262144"] {
            assert!(parse_chunker(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cid_version_one_implies_raw_leaves_unless_told() {
        let v1 = Overrides { cid_version: Some(1), ..Overrides::default() };
        assert!(Profile::UNIXFS_V0_2015.with_overrides(&v1).unwrap().raw_leaves);
        let v1_pb = Overrides { cid_version: Some(1), raw_leaves: Some(false), ..Overrides::default() };
        assert!(!Profile::UNIXFS_V0_2015.with_overrides(&v1_pb).unwrap().raw_leaves);
    }

    #[test]
    fn rejects_unknown_profile() {
        assert!(matches!(Profile::named("kubo"), Err(ProfileError::UnknownProfile(_))));
    }
}
