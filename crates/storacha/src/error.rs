//! One error type for the crate. Each variant names what was wrong and, where it helps, with
//! which input; the CLI prints it on one line.

use cid::Cid;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that are not canonical DAG-CBOR, or a value DAG-CBOR cannot hold.
    #[error("DAG-CBOR: {0}")]
    Cbor(String),
    /// A value the DAG-JSON signing form cannot hold (a float).
    #[error("DAG-JSON: {0}")]
    Json(String),
    #[error("bad DID {did:?}: {why}")]
    Did { did: String, why: String },
    #[error("bad key: {0}")]
    Key(String),
    #[error("bad signature by {issuer}: {why}")]
    Signature { issuer: String, why: String },
    /// A UCAN, receipt or message block without the shape ucanto gives it.
    #[error("malformed {what}: {why}")]
    Malformed { what: &'static str, why: String },
    #[error("block {0} is missing from the message")]
    MissingBlock(Cid),
    #[error("CAR: {0}")]
    Car(#[from] ipfs_kit_car::CarError),
    #[error("bad proof: {0}")]
    Proof(String),
    /// The service answered a capability with an error receipt.
    /// Only the message's first line is shown: ucanto adds the whole capability chain below it.
    #[error("{ability} failed: {name}: {}", first_line(message))]
    Failed { ability: String, name: String, message: String },
    /// An HTTP exchange failed; `transient` says whether retrying can help.
    #[error("{what}: {why}")]
    Http { what: String, why: String, transient: bool },
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Whether trying again can help: a network fault, a 5xx or 429, a receipt not there yet.
    /// An error receipt (unauthorized, out of space, bad input) never is.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Http { transient, .. } => *transient,
            Error::Io(_) => true,
            _ => false,
        }
    }

    pub(crate) fn malformed(what: &'static str, why: impl Into<String>) -> Error {
        Error::Malformed { what, why: why.into() }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim_end()
}
