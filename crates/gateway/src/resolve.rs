//! Content paths: `/{cid}/a/b` split, checked and followed through UnixFS directories
//! (HAMT shards included), recording every block a client needs to verify each step.

use cid::Cid;
use ipfs_kit_unixfs::DagReader;
use ipfs_kit_unixfs::data::DataType;

use crate::headers::Reject;

/// Codecs a path can start from or end at: what the store can hold and a client can verify.
const KNOWN_CODECS: &[u64] = &[0x55, 0x70, 0x71, 0x0129, 0x0200, 0x51];

/// A content path below its root CID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segments {
    pub names: Vec<String>,
    /// The URL ended in `/` (directories are served only so; see `unixfs_response`).
    pub trailing_slash: bool,
}

/// Splits and percent-decodes the part of a URL path after the root. `.` and `..` segments,
/// and names that decode to a `/`, a NUL or a backslash, are refused: no UnixFS name is
/// spelled so, and a client that sends them is trying to leave the path.
pub fn split_path(rest: &str) -> Result<Segments, Reject> {
    let mut names = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let name = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| Reject::bad_request(format!("path segment {raw:?} is not UTF-8 once decoded")))?;
        if name == "." || name == ".." || name.contains(['/', '\0', '\\']) {
            return Err(Reject::bad_request(format!("path segment {raw:?} is not a name")));
        }
        names.push(name.into_owned());
    }
    Ok(Segments { names, trailing_slash: rest.ends_with('/') })
}

/// Parses the root CID of a content path, in any multibase (or a CIDv0).
pub fn parse_root(text: &str) -> Result<Cid, Reject> {
    let cid = Cid::try_from(text).map_err(|e| Reject::bad_request(format!("{text:?} is not a CID: {e}")))?;
    if !KNOWN_CODECS.contains(&cid.codec()) && cid.hash().code() != 0 {
        return Err(Reject::bad_request(format!(
            "CID {cid} has codec 0x{:x}, which this gateway does not read",
            cid.codec()
        )));
    }
    Ok(cid)
}

/// A followed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The root, then the CID each name led to (`X-Ipfs-Roots`).
    pub roots: Vec<Cid>,
    /// Every block read to follow the path, in order (directories and the HAMT shards between
    /// them); the terminal is not among them.
    pub blocks: Vec<Cid>,
    pub terminal: Cid,
}

/// Follows `names` from `root`. Only UnixFS directories are entered: a symlink on the way is
/// not followed (it could name anything), and a file or another codec has no names.
pub fn resolve(reader: &DagReader<'_>, root: Cid, names: &[String]) -> Result<Resolved, Reject> {
    let mut resolved = Resolved { roots: vec![root], blocks: Vec::new(), terminal: root };
    for (i, name) in names.iter().enumerate() {
        let at = resolved.terminal;
        let so_far = names[..i].join("/");
        if at.codec() != 0x70 {
            return Err(Reject::not_found(format!("/{so_far} is not a UnixFS directory, so it has no {name:?}")));
        }
        let (_, kind) = reader.pb_node(&at)?;
        match kind {
            DataType::Directory | DataType::HamtShard => {}
            DataType::Symlink => {
                return Err(Reject::not_found(format!("/{so_far} is a symlink, which the gateway does not follow")));
            }
            other => return Err(Reject::not_found(format!("/{so_far} is a {}, so it has no {name:?}", other.name()))),
        }
        resolved.blocks.push(at);
        let next = reader
            .lookup_traced(&at, name, &mut resolved.blocks)?
            .ok_or_else(|| Reject::not_found(format!("no {name:?} in /{so_far} ({at})")))?;
        resolved.roots.push(next);
        resolved.terminal = next;
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_segments_are_refused_and_others_decoded() {
        for bad in ["..", "%2e%2e", "a/%2E%2E/b", ".", "a%2Fb", "x%00", "a%5Cb", "%ff"] {
            assert_eq!(split_path(bad).unwrap_err().status, 400, "{bad}");
        }
        let seg = split_path("a%20b//%C3%A9%26+/").unwrap();
        assert_eq!(seg.names, vec!["a b".to_string(), "é&+".to_string()]);
        assert!(seg.trailing_slash);
        assert!(!split_path("a").unwrap().trailing_slash);
    }

    #[test]
    fn roots_of_unknown_codecs_or_not_cids_are_bad_requests() {
        assert_eq!(parse_root("nope").unwrap_err().status, 400);
        // bafy… with codec 0x300 (libp2p-key would be 0x72; 0x300 is not a content codec here)
        let odd = Cid::new_v1(0x300, cid::multihash::Multihash::wrap(0x12, &[7; 32]).unwrap());
        assert_eq!(parse_root(&odd.to_string()).unwrap_err().status, 400);
        let ok = Cid::new_v1(0x55, cid::multihash::Multihash::wrap(0x12, &[7; 32]).unwrap());
        assert_eq!(parse_root(&ok.to_string()).unwrap(), ok);
    }
}
