//! Typed errors. Every HTTP fault is classed as transient or permanent, because the retry
//! policy and the one-line message both depend on it: a refused connection is worth another
//! try, a refused token never is.

use std::fmt;

use thiserror::Error;

/// What went wrong talking to a remote, in the terms the retry policy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Nothing listens there (connection refused), or the host is unknown.
    Unreachable(String),
    /// The connection was reset or closed mid-exchange.
    Reset(String),
    /// No answer in time.
    Timeout(String),
    /// HTTP 5xx (and 429/408): the remote failed, maybe for a moment.
    Server(u16, String),
    /// HTTP 401/403: the credentials were refused.
    Auth(u16, String),
    /// Any other 4xx: the request was refused as it is.
    Refused(u16, String),
    /// The remote answered something this client cannot read (a bad CID, bad JSON).
    Protocol(String),
}

impl Fault {
    /// Transient faults are retried; permanent ones never are.
    pub fn is_transient(&self) -> bool {
        matches!(self, Fault::Unreachable(_) | Fault::Reset(_) | Fault::Timeout(_) | Fault::Server(..))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Unreachable(d) => write!(f, "unreachable ({d})"),
            Fault::Reset(d) => write!(f, "connection lost ({d})"),
            Fault::Timeout(d) => write!(f, "timed out ({d})"),
            Fault::Server(s, d) => write!(f, "server error HTTP {s}{}", detail(d)),
            Fault::Auth(s, d) => write!(f, "credentials refused: HTTP {s}{}", detail(d)),
            Fault::Refused(s, d) => write!(f, "request refused: HTTP {s}{}", detail(d)),
            Fault::Protocol(d) => write!(f, "unexpected answer: {d}"),
        }
    }
}

fn detail(d: &str) -> String {
    if d.is_empty() { String::new() } else { format!(": {d}") }
}

#[derive(Debug, Error)]
pub enum RemoteError {
    /// A fault while talking to a remote, after `attempts` tries.
    #[error("{what}: {fault} ({})", verdict(fault, *attempts))]
    Http { what: String, fault: Fault, attempts: u32 },
    #[error("no remote named {0:?} (see `ipfs-kit remote list`)")]
    NoSuchRemote(String),
    #[error("a remote named {0:?} exists already (remove it first with `ipfs-kit remote rm`)")]
    Exists(String),
    #[error("remote {name:?} is a {kind} remote: {why}")]
    WrongKind { name: String, kind: &'static str, why: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a remotes file: {source}")]
    BadFile { path: String, source: serde_json::Error },
    /// The Storacha service refused a capability (the receipt's error names why), or the
    /// exchange failed; `transient` says whether trying again can help.
    #[error("{what}: {source}")]
    Storacha {
        what: String,
        transient: bool,
        #[source]
        source: ipfs_kit_storacha::Error,
    },
    /// The CAR stream feeding a push failed (a store error): the upload was cut off unfinished.
    #[error("reading the CAR to send: {0}")]
    Source(String),
}

fn verdict(fault: &Fault, attempts: u32) -> String {
    match (fault.is_transient(), attempts) {
        (true, n) if n > 1 => format!("transient; gave up after {n} attempts"),
        (true, _) => "transient; not retried".to_owned(),
        (false, _) => "permanent; not retried".to_owned(),
    }
}

impl RemoteError {
    pub fn io(path: impl fmt::Display) -> impl FnOnce(std::io::Error) -> RemoteError {
        let path = path.to_string();
        move |source| RemoteError::Io { path, source }
    }

    /// The fault, if this is one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            RemoteError::Http { fault, .. } => Some(fault),
            _ => None,
        }
    }
}
