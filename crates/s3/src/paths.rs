//! S3 keys as bucket paths: one to one, or refused.
//!
//! A key splits on `/` into names that must each be a valid entry name (no `.` or `..`, no
//! NUL or control characters, at most 255 bytes) and non-empty, so `a//b`, `/a`, `a/./b` and
//! `../x` are refused rather than normalised: two keys must never land on one path. A key
//! ending in `/` names a folder (a directory), as consoles and rclone create them.

use s3s::{S3Error, S3ErrorCode};

/// What a key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPath {
    File(String),
    /// A key ending in `/`: the directory, without the slash.
    Folder(String),
}

impl KeyPath {
    pub fn path(&self) -> &str {
        match self {
            KeyPath::File(p) | KeyPath::Folder(p) => p,
        }
    }
}

/// The bucket path of `key`, or the `InvalidArgument` / `KeyTooLongError` a client reports.
pub fn key_path(key: &str) -> Result<KeyPath, S3Error> {
    let (body, folder) = match key.strip_suffix('/') {
        Some(body) => (body, true),
        None => (key, false),
    };
    let refuse = |why: &str| {
        S3Error::with_message(S3ErrorCode::InvalidArgument, format!("key {key:?} cannot be a bucket path: {why}"))
    };
    if body.is_empty() {
        return Err(refuse("it is empty"));
    }
    for name in body.split('/') {
        if name.len() > ipfs_kit_unixfs::name::MAX_NAME_BYTES {
            return Err(S3Error::with_message(
                S3ErrorCode::KeyTooLongError,
                format!("key {key:?} has a name longer than 255 bytes"),
            ));
        }
        if name.is_empty() {
            return Err(refuse("an empty name (a leading or doubled '/')"));
        }
        ipfs_kit_unixfs::name::check_name(name).map_err(refuse)?;
    }
    Ok(if folder { KeyPath::Folder(body.to_owned()) } else { KeyPath::File(body.to_owned()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_one_to_one_or_are_refused() {
        for ok in ["a", "a/b/c.txt", "with space", "&+-é\"", "日本/語", ".env", "a..b", "..."] {
            assert_eq!(key_path(ok).unwrap(), KeyPath::File(ok.to_owned()), "{ok}");
        }
        assert_eq!(key_path("dir/").unwrap(), KeyPath::Folder("dir".into()));
        for bad in ["", "/", "/a", "a//b", "../x", "a/../b", "a/./b", ".", "..", "a\0b", "a\nb", "a/\u{1b}"] {
            let err = key_path(bad).unwrap_err();
            assert_eq!(err.code(), &S3ErrorCode::InvalidArgument, "{bad:?}");
        }
        let long = "x".repeat(256);
        assert_eq!(key_path(&long).unwrap_err().code(), &S3ErrorCode::KeyTooLongError);
    }
}
