//! The exception hierarchy, and which one each Rust error becomes.
//!
//! The message is the one line the CLI prints after `ipfs-kit: `: the error and its causes,
//! joined by `: ` (anyhow's `{:#}`). The class comes from the first error in that chain that
//! says what went wrong: a missing thing (`NotFound`), the writer lock (`Locked`), bytes that
//! do not match their CID or cannot be parsed (`Corrupt`), or a request that cannot be carried
//! out as given (`InvalidInput`). Anything else (a full disk, a refused connection) is an
//! `IpfsKitError`.

use std::error::Error as StdError;

use ipfs_kit_blockstore::StoreError;
use ipfs_kit_buckets::BucketError;
use ipfs_kit_car::CarError;
use ipfs_kit_remotes::RemoteError;
use ipfs_kit_transfer::TransferError;
use ipfs_kit_unixfs::{ImportError, ProfileError, ReadError, TreeError};
use pyo3::PyErr;

pyo3::create_exception!(ipfs_kit, IpfsKitError, pyo3::exceptions::PyException, "Every error ipfs-kit raises.");
pyo3::create_exception!(
    ipfs_kit,
    NotFound,
    IpfsKitError,
    "A bucket, path, snapshot, remote, block or file that is not there."
);
pyo3::create_exception!(
    ipfs_kit,
    Locked,
    IpfsKitError,
    "Another writer held the home's lock for longer than `lock_timeout`."
);
pyo3::create_exception!(
    ipfs_kit,
    Corrupt,
    IpfsKitError,
    "Bytes that do not match their CID, or a block, CAR or record that cannot be parsed."
);
pyo3::create_exception!(
    ipfs_kit,
    InvalidInput,
    IpfsKitError,
    "A request that cannot be carried out as given: a bad name, path, profile or CID, or a DAG that breaks the rules."
);

/// Any error of the crates below, boxed so one `?` carries it out of a detached closure.
pub type Error = Box<dyn StdError + Send + Sync + 'static>;

/// An error this module makes itself, with the class it should raise.
#[derive(Debug)]
pub struct Plain {
    pub kind: Kind,
    pub message: String,
}

impl std::fmt::Display for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Plain {}

/// Which exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NotFound,
    Locked,
    Corrupt,
    Invalid,
    Other,
}

/// An `InvalidInput` with `message`.
pub fn invalid(message: impl Into<String>) -> Error {
    Box::new(Plain { kind: Kind::Invalid, message: message.into() })
}

/// A `NotFound` with `message`.
pub fn not_found(message: impl Into<String>) -> Error {
    Box::new(Plain { kind: Kind::NotFound, message: message.into() })
}

/// A `Corrupt` with `message`.
pub fn corrupt(message: impl Into<String>) -> Error {
    Box::new(Plain { kind: Kind::Corrupt, message: message.into() })
}

/// The Python exception for `err`.
pub fn to_py(err: Error) -> PyErr {
    let root: &(dyn StdError + 'static) = &*err;
    let message = ipfs_kit_buckets::error::chain(root);
    // The CLI's hint names its flag; from Python the same wait is `Home(lock_timeout=…)`.
    let message = message.replace("raise --lock-wait", "raise Home(lock_timeout=...)");
    let mut kind = Kind::Other;
    let mut e: Option<&(dyn StdError + 'static)> = Some(root);
    while let Some(cur) = e {
        if let Some(k) = kind_of(cur) {
            kind = k;
            break;
        }
        e = cur.source();
    }
    match kind {
        Kind::NotFound => NotFound::new_err(message),
        Kind::Locked => Locked::new_err(message),
        Kind::Corrupt => Corrupt::new_err(message),
        Kind::Invalid => InvalidInput::new_err(message),
        Kind::Other => IpfsKitError::new_err(message),
    }
}

/// The class one error in a chain decides, if it decides one; `None` looks at its source.
fn kind_of(e: &(dyn StdError + 'static)) -> Option<Kind> {
    use Kind::*;
    if let Some(p) = e.downcast_ref::<Plain>() {
        return Some(p.kind);
    }
    if let Some(b) = e.downcast_ref::<BucketError>() {
        return match b {
            BucketError::NoSuchBucket(_)
            | BucketError::NoSuchPath { .. }
            | BucketError::NoSuchSnapshot(_)
            | BucketError::NotInSnapshot { .. }
            | BucketError::NoSuchUpload(_)
            | BucketError::NoHome(_) => Some(NotFound),
            BucketError::BadName { .. }
            | BucketError::BadPath { .. }
            | BucketError::BucketExists(_)
            | BucketError::CaseClash { .. }
            | BucketError::WrongKind { .. }
            | BucketError::PathExists { .. }
            | BucketError::PathExistsReplace { .. }
            | BucketError::Refused(_)
            | BucketError::RefusedRestore { .. }
            | BucketError::UnsupportedProfile(_)
            | BucketError::UnsafeOutput { .. }
            | BucketError::BadExport { .. }
            | BucketError::NotOneRoot { .. }
            | BucketError::NotUnixfs { .. }
            | BucketError::NotADirectory(_)
            | BucketError::ShardTooSmall { .. }
            | BucketError::TooManyBlocks { .. }
            | BucketError::WrongRoots { .. }
            | BucketError::HomeUnset => Some(Invalid),
            BucketError::NotInDag { .. }
            | BucketError::BadResponse { .. }
            | BucketError::BadBlock { .. }
            | BucketError::Corrupt(_)
            | BucketError::BadSnapshot { .. }
            | BucketError::WrongTsize { .. }
            | BucketError::BadIndex(_)
            | BucketError::Links(_) => Some(Corrupt),
            BucketError::Incomplete(_) => Some(NotFound),
            BucketError::BadCar { error, .. } => Some(car_kind(error)),
            BucketError::Car(error) => Some(car_kind(error)),
            BucketError::Profile(_) => Some(Invalid),
            // Transparent variants: their `source()` skips the wrapped error, so look inside.
            BucketError::Store(inner) => kind_of(inner),
            BucketError::Read(inner) => kind_of(inner),
            BucketError::Import(inner) => kind_of(inner),
            BucketError::Tree(inner) => kind_of(inner),
            _ => None,
        };
    }
    if let Some(s) = e.downcast_ref::<StoreError>() {
        return match s {
            StoreError::Locked { .. } | StoreError::Collecting | StoreError::WritersActive => Some(Locked),
            StoreError::CorruptPack { .. } | StoreError::MissingPack { .. } => Some(Corrupt),
            _ => None,
        };
    }
    if let Some(c) = e.downcast_ref::<CarError>() {
        return Some(car_kind(c));
    }
    if let Some(r) = e.downcast_ref::<ReadError>() {
        return match r {
            ReadError::MissingBlock { .. } | ReadError::NotFound { .. } => Some(NotFound),
            ReadError::Source { .. } => None,
            _ => Some(Corrupt),
        };
    }
    if let Some(t) = e.downcast_ref::<TreeError>() {
        return match t {
            TreeError::Read(inner) => kind_of(inner),
            _ => Some(Invalid),
        };
    }
    if let Some(i) = e.downcast_ref::<ImportError>() {
        return match i {
            ImportError::BadName { .. }
            | ImportError::UnsupportedFileType { .. }
            | ImportError::HamtCollision { .. } => Some(Invalid),
            _ => None,
        };
    }
    if e.downcast_ref::<ProfileError>().is_some() {
        return Some(Invalid);
    }
    if let Some(t) = e.downcast_ref::<TransferError>() {
        return match t {
            TransferError::Refused(_) => Some(Invalid),
            TransferError::Bucket(inner) => kind_of(inner),
            TransferError::Remote(inner) => remote_kind(inner),
            _ => None,
        };
    }
    if let Some(r) = e.downcast_ref::<RemoteError>() {
        return remote_kind(r);
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return (io.kind() == std::io::ErrorKind::NotFound).then_some(NotFound);
    }
    None
}

/// A CAR that cannot be read is corrupt; one that cannot be found is missing.
fn car_kind(c: &CarError) -> Kind {
    match c {
        CarError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Kind::NotFound,
        CarError::Io { .. } => Kind::Other,
        _ => Kind::Corrupt,
    }
}

fn remote_kind(r: &RemoteError) -> Option<Kind> {
    match r {
        RemoteError::NoSuchRemote(_) => Some(Kind::NotFound),
        RemoteError::Exists(_) | RemoteError::WrongKind { .. } | RemoteError::Invalid(_) => Some(Kind::Invalid),
        _ => None,
    }
}
