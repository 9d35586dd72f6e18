//! Remotes by name, kept in `<home>/remotes.json` with mode 0600 (it holds tokens).
//!
//! The file is replaced whole and crash-safely: a temp file created with mode 0600, written,
//! fsynced, renamed over the old one, then the directory fsynced, so a crash leaves the old or
//! the new list, never a torn one, and the secrets are never readable by others, not even for
//! a moment. Secrets (a pinning token, header values) are only ever shown masked.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::RemoteError;

pub const FILE_NAME: &str = "remotes.json";

/// One remote, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RemoteSpec {
    /// A node with the Kubo RPC API (`/api/v0`).
    Kubo {
        api: String,
        /// Extra headers sent with every call (e.g. `Authorization`); the values are secrets.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        headers: Vec<(String, String)>,
    },
    /// A service with the IPFS Pinning Service API.
    Pinning {
        endpoint: String,
        token: String,
        /// The kubo remote that holds the blocks and whose addresses go out as `origins`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kubo: Option<String>,
    },
    /// A trustless HTTP gateway (read only).
    Gateway { url: String },
    /// A Storacha space, written through its upload service and read through its gateway.
    Storacha {
        service_url: String,
        service_did: String,
        receipts_url: String,
        gateway: String,
        /// The agent's private key (multibase, as `storacha key create` prints it): a secret.
        key: String,
        /// The delegation to that key: the `--base64` text, or base64 of the CAR file.
        proof: String,
        /// The space the proof is for (derived when the remote is added).
        space: String,
    },
}

impl RemoteSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            RemoteSpec::Kubo { .. } => "kubo",
            RemoteSpec::Pinning { .. } => "pinning",
            RemoteSpec::Gateway { .. } => "gateway",
            RemoteSpec::Storacha { .. } => "storacha",
        }
    }

    /// The address the remote is reached at.
    pub fn url(&self) -> &str {
        match self {
            RemoteSpec::Kubo { api, .. } => api,
            RemoteSpec::Pinning { endpoint, .. } => endpoint,
            RemoteSpec::Gateway { url } => url,
            RemoteSpec::Storacha { service_url, .. } => service_url,
        }
    }

    /// The settings with every secret masked, for `remote list`.
    pub fn masked(&self) -> serde_json::Value {
        let mut v = serde_json::json!({"kind": self.kind(), "url": self.url()});
        match self {
            RemoteSpec::Kubo { headers, .. } => {
                v["headers"] = headers.iter().map(|(k, _)| format!("{k}: {}", MASK)).collect();
            }
            RemoteSpec::Pinning { kubo, .. } => {
                v["token"] = MASK.into();
                v["kubo"] = kubo.clone().into();
            }
            RemoteSpec::Gateway { .. } => {}
            RemoteSpec::Storacha { service_did, receipts_url, gateway, space, .. } => {
                v["service_did"] = service_did.clone().into();
                v["receipts_url"] = receipts_url.clone().into();
                v["gateway"] = gateway.clone().into();
                v["space"] = space.clone().into();
                v["key"] = MASK.into();
                v["proof"] = MASK.into();
            }
        }
        v
    }

    /// Checks the URL and the headers before anything is saved.
    pub fn validate(&self) -> Result<(), RemoteError> {
        let url = self.url();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(RemoteError::Invalid(format!("{url:?}: the URL must start with http:// or https://")));
        }
        if let RemoteSpec::Kubo { headers, .. } = self {
            for (k, v) in headers {
                let bad = |s: &str| s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0);
                if k.is_empty() || k.contains(':') || k.contains(' ') || bad(k) || bad(v) {
                    return Err(RemoteError::Invalid(format!("header {k:?}: not a valid header name and value")));
                }
            }
        }
        if let RemoteSpec::Storacha { receipts_url, gateway, key, proof, space, .. } = self {
            for u in [receipts_url, gateway] {
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(RemoteError::Invalid(format!("{u:?}: the URL must start with http:// or https://")));
                }
            }
            let (_, _, proven) = crate::storacha::check_credentials(key, proof)?;
            if &proven != space {
                return Err(RemoteError::Invalid(format!("the proof is for {proven}, not {space}")));
            }
        }
        if let RemoteSpec::Pinning { token, .. } = self
            && (token.is_empty() || token.bytes().any(|b| b.is_ascii_control()))
        {
            return Err(RemoteError::Invalid("the token must be non-empty printable text".into()));
        }
        Ok(())
    }
}

/// What a secret is shown as.
pub const MASK: &str = "********";

/// Parses `--header 'Name: value'`.
pub fn parse_header(text: &str) -> Result<(String, String), RemoteError> {
    let (k, v) =
        text.split_once(':').ok_or_else(|| RemoteError::Invalid("a header is given as 'Name: value'".into()))?;
    Ok((k.trim().to_owned(), v.trim().to_owned()))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileForm {
    version: u32,
    remotes: BTreeMap<String, RemoteSpec>,
}

/// The remotes of one home.
#[derive(Debug)]
pub struct Remotes {
    path: PathBuf,
    pub by_name: BTreeMap<String, RemoteSpec>,
}

impl Remotes {
    /// Reads `<home>/remotes.json` (none yet is an empty list).
    pub fn load(home: &Path) -> Result<Self, RemoteError> {
        let path = home.join(FILE_NAME);
        let by_name = match std::fs::read(&path) {
            Ok(bytes) => {
                let form: FileForm = serde_json::from_slice(&bytes)
                    .map_err(|source| RemoteError::BadFile { path: path.display().to_string(), source })?;
                form.remotes
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(RemoteError::io(path.display())(e)),
        };
        Ok(Remotes { path, by_name })
    }

    pub fn get(&self, name: &str) -> Result<&RemoteSpec, RemoteError> {
        self.by_name.get(name).ok_or_else(|| RemoteError::NoSuchRemote(name.to_owned()))
    }

    pub fn add(&mut self, name: &str, spec: RemoteSpec) -> Result<(), RemoteError> {
        check_name(name)?;
        spec.validate()?;
        if self.by_name.contains_key(name) {
            return Err(RemoteError::Exists(name.to_owned()));
        }
        if let RemoteSpec::Pinning { kubo: Some(kubo), .. } = &spec {
            match self.get(kubo)? {
                RemoteSpec::Kubo { .. } => {}
                other => {
                    return Err(RemoteError::WrongKind {
                        name: kubo.clone(),
                        kind: other.kind(),
                        why: "--kubo must name a kubo remote".into(),
                    });
                }
            }
        }
        self.by_name.insert(name.to_owned(), spec);
        self.save()
    }

    pub fn remove(&mut self, name: &str) -> Result<RemoteSpec, RemoteError> {
        let spec = self.by_name.remove(name).ok_or_else(|| RemoteError::NoSuchRemote(name.to_owned()))?;
        self.save()?;
        Ok(spec)
    }

    /// Temp file (0600) + write + fsync + rename + directory fsync.
    fn save(&self) -> Result<(), RemoteError> {
        let form = FileForm { version: 1, remotes: self.by_name.clone() };
        let mut bytes = serde_json::to_vec_pretty(&form).expect("remotes serialise");
        bytes.push(b'\n');
        write_private(&self.path, &bytes)
    }
}

/// Replaces `path` with `bytes`, crash-safely, readable by the owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), RemoteError> {
    let dir = path.parent().expect("file path has a parent");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(RemoteError::io(tmp.display()))?;
        file.write_all(bytes).map_err(RemoteError::io(tmp.display()))?;
        file.sync_all().map_err(RemoteError::io(tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(RemoteError::io(path.display()))?;
        ipfs_kit_blockstore::sync_dir(dir).map_err(|e| RemoteError::Invalid(format!("{}: {e}", dir.display())))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn check_name(name: &str) -> Result<(), RemoteError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(RemoteError::Invalid(format!(
            "{name:?}: a remote name is 1-64 letters, digits, '-', '_' or '.', not starting with '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Remotes::load(dir.path()).unwrap();
        r.add("node", RemoteSpec::Kubo { api: "http://127.0.0.1:5001".into(), headers: vec![] }).unwrap();
        let spec = RemoteSpec::Pinning {
            endpoint: "http://127.0.0.1:1".into(),
            token: "s3cret".into(),
            kubo: Some("node".into()),
        };
        r.add("pins", spec.clone()).unwrap();
        let mode = std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Remotes::load(dir.path()).unwrap();
        assert_eq!(again.get("pins").unwrap(), &spec);
        assert!(!spec.masked().to_string().contains("s3cret"));
        assert!(matches!(r.add("node", spec), Err(RemoteError::Exists(_))));
    }

    #[test]
    fn a_pinning_remote_needs_a_kubo_remote_for_origins() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Remotes::load(dir.path()).unwrap();
        r.add("gw", RemoteSpec::Gateway { url: "http://127.0.0.1:8080".into() }).unwrap();
        let spec =
            RemoteSpec::Pinning { endpoint: "http://127.0.0.1:1".into(), token: "t".into(), kubo: Some("gw".into()) };
        assert!(matches!(r.add("p", spec), Err(RemoteError::WrongKind { .. })));
        assert!(r.add("bad name", RemoteSpec::Gateway { url: "http://x".into() }).is_err());
        assert!(r.add("ftp", RemoteSpec::Gateway { url: "ftp://x".into() }).is_err());
    }
}
