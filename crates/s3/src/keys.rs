//! S3 access keys: `<home>/s3_keys.json`, mode 0600, replaced whole on every change (temp file
//! created 0600, fsync, rename, directory fsync), so a crash leaves the old or the new list.
//!
//! A secret is shown once, by `s3 key create`; listings and logs never carry it. A running
//! server rereads the file when its size or mtime changes (checked at most once a second), so a
//! key created or removed meanwhile takes effect without a restart.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::KeyError;

const FILE: &str = "s3_keys.json";

/// One access key and what it may do.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    /// Reads only: every write operation is refused with `AccessDenied`.
    #[serde(default)]
    pub read_only: bool,
    /// The buckets it reaches; empty reaches all.
    #[serde(default)]
    pub buckets: Vec<String>,
    pub created_at: String,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("read_only", &self.read_only)
            .field("buckets", &self.buckets)
            .finish()
    }
}

impl AccessKey {
    /// Whether this key reaches `bucket`.
    pub fn reaches(&self, bucket: &str) -> bool {
        self.buckets.is_empty() || self.buckets.iter().any(|b| b == bucket)
    }
}

#[derive(Default, Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<AccessKey>,
}

fn path_in(home: &Path) -> PathBuf {
    home.join(FILE)
}

/// The keys of a home, as stored.
pub fn load(home: &Path) -> Result<Vec<AccessKey>, KeyError> {
    let path = path_in(home);
    let mut text = String::new();
    match std::fs::File::open(&path) {
        Ok(mut f) => f.read_to_string(&mut text).map_err(|source| KeyError::Io { path: path.clone(), source })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(KeyError::Io { path, source }),
    };
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| KeyError::Damaged { path, reason: e.to_string() })?;
    Ok(file.keys)
}

fn store(home: &Path, keys: Vec<AccessKey>) -> Result<(), KeyError> {
    let path = path_in(home);
    let tmp = home.join(format!(".{FILE}.tmp-{}", std::process::id()));
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| KeyError::Io { path: p, source }
    };
    std::fs::create_dir_all(home).map_err(io(home))?;
    let bytes = serde_json::to_vec_pretty(&KeyFile { keys }).expect("keys serialize");
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(io(&tmp))?;
        file.write_all(&bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        ipfs_kit_blockstore::sync_dir(home)
            .map_err(|e| KeyError::Io { path: home.to_owned(), source: std::io::Error::other(e) })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates a key and stores it; the returned key carries the secret, to be shown once.
pub fn create(home: &Path, read_only: bool, buckets: Vec<String>, now: String) -> Result<AccessKey, KeyError> {
    let mut keys = load(home)?;
    let key = AccessKey {
        id: format!("IK{}", random_text(18, BASE32)),
        secret: random_text(40, BASE62),
        read_only,
        buckets,
        created_at: now,
    };
    keys.push(key.clone());
    store(home, keys)?;
    Ok(key)
}

/// Removes a key; false if there was none with this id.
pub fn remove(home: &Path, id: &str) -> Result<bool, KeyError> {
    let mut keys = load(home)?;
    let before = keys.len();
    keys.retain(|k| k.id != id);
    if keys.len() == before {
        return Ok(false);
    }
    store(home, keys)?;
    Ok(true)
}

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters of `alphabet` from the kernel's random source (rejection sampling, so each
/// character is uniform).
fn random_text(len: usize, alphabet: &[u8]) -> String {
    let mut random = std::fs::File::open("/dev/urandom").expect("/dev/urandom");
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    let mut byte = [0u8; 1];
    while out.len() < len {
        random.read_exact(&mut byte).expect("/dev/urandom");
        if (byte[0] as usize) < limit {
            out.push(alphabet[byte[0] as usize % alphabet.len()] as char);
        }
    }
    out
}

/// A random upload id (hex, 128 bits).
pub(crate) fn random_id() -> String {
    random_text(32, b"0123456789abcdef")
}

/// The keys as a running server sees them, reloaded when the file changes.
pub struct KeyRing {
    home: PathBuf,
    state: Mutex<Ring>,
}

struct Ring {
    keys: Vec<AccessKey>,
    stamp: Option<(u64, SystemTime)>,
    checked: Instant,
}

impl KeyRing {
    pub fn open(home: &Path) -> Result<KeyRing, KeyError> {
        let keys = load(home)?;
        let stamp = stamp(home);
        Ok(KeyRing { home: home.to_owned(), state: Mutex::new(Ring { keys, stamp, checked: Instant::now() }) })
    }

    pub fn is_empty(&self) -> bool {
        self.state.lock().expect("key ring lock").keys.is_empty()
    }

    /// The key with this id, if any.
    pub fn get(&self, id: &str) -> Option<AccessKey> {
        let mut ring = self.state.lock().expect("key ring lock");
        if ring.checked.elapsed() >= Duration::from_secs(1) {
            ring.checked = Instant::now();
            let now = stamp(&self.home);
            if now != ring.stamp {
                // A damaged or half-read file keeps the keys we had.
                if let Ok(keys) = load(&self.home) {
                    ring.keys = keys;
                    ring.stamp = now;
                }
            }
        }
        ring.keys.iter().find(|k| k.id == id).cloned()
    }
}

fn stamp(home: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path_in(home)).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keys_are_private_and_secrets_are_never_debug_printed() {
        let home = tempfile::tempdir().unwrap();
        let key = create(home.path(), true, vec!["docs".into()], "2026-12-06T00:00:00Z".into()).unwrap();
        assert!(key.id.starts_with("IK") && key.id.len() == 20);
        assert_eq!(key.secret.len(), 40);
        let mode = std::fs::metadata(home.path().join(FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(!format!("{key:?}").contains(&key.secret));
        let other = create(home.path(), false, vec![], "2026-12-06T00:00:00Z".into()).unwrap();
        assert_ne!(other.secret, key.secret);
        let ring = KeyRing::open(home.path()).unwrap();
        assert_eq!(ring.get(&key.id).unwrap().secret, key.secret);
        assert!(ring.get(&key.id).unwrap().reaches("docs") && !ring.get(&key.id).unwrap().reaches("other"));
        assert!(remove(home.path(), &key.id).unwrap());
        assert!(!remove(home.path(), &key.id).unwrap());
        assert_eq!(load(home.path()).unwrap(), vec![other]);
    }
}
