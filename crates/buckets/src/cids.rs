//! CID text forms used in files we write.

use cid::Cid;
use multibase::Base;

/// base58btc: `Qm…` for CIDv0, `zdj7W…` (dag-pb) or `zb2r…` (raw) for CIDv1, the earlier
/// design's form.
pub fn base58btc(cid: &Cid) -> String {
    match cid.version() {
        cid::Version::V0 => cid.to_string(),
        cid::Version::V1 => cid.to_string_of_base(Base::Base58Btc).expect("CIDv1 encodes in base58btc"),
    }
}

/// The usual text form: `Qm…` for CIDv0, base32 `b…` for CIDv1.
pub fn base32(cid: &Cid) -> String {
    cid.to_string()
}
