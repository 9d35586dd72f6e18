//! Checking what users and DAGs name things: bucket names and paths inside a bucket.
//!
//! A bucket name becomes a file name (`<bucket>_vfs.parquet`), and a path inside a bucket can
//! come from a CAR file or a gateway, so both are checked before anything touches the disk.

use crate::error::BucketError;

/// The longest bucket name, in bytes: room for `_vfs.parquet` under a 255-byte file name limit.
pub const MAX_BUCKET_NAME: usize = 128;

/// Refuses bucket names that could not be a single, visible file name.
pub fn check_bucket_name(name: &str) -> Result<(), BucketError> {
    let bad = |reason| Err(BucketError::BadName { name: name.to_owned(), reason });
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > MAX_BUCKET_NAME {
        return bad("longer than 128 bytes");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("contains a slash");
    }
    if name.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    if name.starts_with('.') {
        return bad("starts with '.'");
    }
    if name.contains("..") {
        return bad("contains '..'");
    }
    if name.trim() != name {
        return bad("starts or ends with whitespace");
    }
    Ok(())
}

/// Normalises a path inside a bucket to `a/b/c` form ("" is the root). Leading and trailing
/// slashes are dropped; `.` and `..` components, empty names and control characters are refused.
pub fn normalize_path(path: &str) -> Result<String, BucketError> {
    let bad = |reason| Err(BucketError::BadPath { path: path.to_owned(), reason });
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" => continue,
            "." | ".." => return bad("'.' and '..' are not allowed"),
            p if p.chars().any(char::is_control) => return bad("contains a control character"),
            p if p.len() > ipfs_kit_unixfs::name::MAX_NAME_BYTES => return bad("a name is longer than 255 bytes"),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Checks one entry name, from a DAG or from the filesystem, before it becomes a catalog path
/// or a file name on disk: the one rule of `ipfs_kit_unixfs::name`.
pub fn check_entry_name(name: &str) -> Result<(), &'static str> {
    ipfs_kit_unixfs::name::check_name(name)
}

/// The parent of a normalised path ("" for top-level entries and the root).
pub fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// The last component of a normalised path.
pub fn name_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// `parent/name`, or `name` at the root.
pub fn join(parent: &str, name: &str) -> String {
    match (parent.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (_, true) => parent.to_owned(),
        _ => format!("{parent}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["docs", "media-bucket", "a.b_c", "ünïcode"] {
            check_bucket_name(ok).unwrap();
        }
        let long = "x".repeat(129);
        for bad in ["", "a/b", "..", "../x", ".hidden", "a\nb", "a..b", " pad", &long] {
            assert!(check_bucket_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(normalize_path("/a//b/").unwrap(), "a/b");
        assert_eq!(normalize_path("/").unwrap(), "");
        assert!(normalize_path("a/../b").is_err());
        assert!(normalize_path("./a").is_err());
        assert_eq!(parent_of("a/b/c"), "a/b");
        assert_eq!(parent_of("a"), "");
        assert_eq!(name_of("a/b"), "b");
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("a", "x"), "a/x");
    }

    #[test]
    fn dag_names() {
        assert!(check_entry_name("../x").is_err());
        assert!(check_entry_name("..").is_err());
        assert!(check_entry_name("a\0").is_err());
        assert!(check_entry_name("ok.txt").is_ok());
    }
}
