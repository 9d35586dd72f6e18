//! Printing and parsing CIDs in any multibase.
//!
//! CIDv0 has no multibase prefix and is always base58btc, so asking for another base prints the
//! CIDv1 of the same block, as Kubo's `--cid-base` does.

use anyhow::{Result, bail};
use cid::Cid;
use multibase::Base;

/// The multibase names Kubo accepts for text, with their `Base`. (`identity` is a multibase
/// too, but raw bytes are no way to print a CID, so it is refused by name.)
const BASES: &[(&str, Base)] = &[
    ("base2", Base::Base2),
    ("base8", Base::Base8),
    ("base10", Base::Base10),
    ("base16", Base::Base16Lower),
    ("base16upper", Base::Base16Upper),
    ("base32", Base::Base32Lower),
    ("base32upper", Base::Base32Upper),
    ("base32pad", Base::Base32PadLower),
    ("base32padupper", Base::Base32PadUpper),
    ("base32hex", Base::Base32HexLower),
    ("base32hexupper", Base::Base32HexUpper),
    ("base32hexpad", Base::Base32HexPadLower),
    ("base32hexpadupper", Base::Base32HexPadUpper),
    ("base32z", Base::Base32Z),
    ("base36", Base::Base36Lower),
    ("base36upper", Base::Base36Upper),
    ("base58flickr", Base::Base58Flickr),
    ("base58btc", Base::Base58Btc),
    ("base64", Base::Base64),
    ("base64pad", Base::Base64Pad),
    ("base64url", Base::Base64Url),
    ("base64urlpad", Base::Base64UrlPad),
];

/// A checked `--cid-base` value. `None` is each version's usual form: `Qm…` for CIDv0 and
/// base32 for CIDv1, as Kubo prints them.
#[derive(Debug, Clone, Copy, Default)]
pub struct CidBase(Option<Base>);

impl CidBase {
    /// Parses a multibase name; clap calls this for `--cid-base`, so a bad base stops a
    /// command before it does anything.
    pub fn parse(name: &str) -> Result<Self> {
        match BASES.iter().find(|(n, _)| *n == name) {
            Some(&(_, base)) => Ok(CidBase(Some(base))),
            None if name == "identity" => {
                bail!("multibase \"identity\" is raw bytes, not text (try base32, base58btc or base36)")
            }
            None => bail!("unknown multibase {name:?} (try base32, base58btc or base36)"),
        }
    }

    /// Formats `cid`: CIDv0 stays `Qm…` in base58btc, and becomes CIDv1 in any other base.
    pub fn format(self, cid: &Cid) -> String {
        let Some(base) = self.0 else {
            return cid.to_string();
        };
        if cid.version() == cid::Version::V0 {
            if matches!(base, Base::Base58Btc) {
                return cid.to_string();
            }
            let v1 = Cid::new_v1(cid.codec(), *cid.hash());
            return v1.to_string_of_base(base).expect("CIDv1 formats in any base");
        }
        cid.to_string_of_base(base).expect("CIDv1 formats in any base")
    }
}

/// Parses a CID in any multibase, or a bare `Qm…` CIDv0.
pub fn parse_cid(text: &str) -> Result<Cid> {
    match Cid::try_from(text.trim()) {
        Ok(cid) => Ok(cid),
        Err(err) => bail!("invalid CID {text:?}: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v0_switches_to_v1_outside_base58btc() {
        let v0 = parse_cid("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn").unwrap();
        assert_eq!(CidBase::parse("base58btc").unwrap().format(&v0), v0.to_string());
        let b32 = CidBase::parse("base32").unwrap().format(&v0);
        assert!(b32.starts_with("bafybei"), "{b32}");
        assert_eq!(parse_cid(&b32).unwrap().hash(), v0.hash());
    }

    #[test]
    fn identity_and_unknown_bases_are_refused() {
        assert!(CidBase::parse("identity").unwrap_err().to_string().contains("not text"));
        assert!(CidBase::parse("base99").is_err());
    }

    #[test]
    fn every_listed_base_round_trips() {
        let cid = parse_cid("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e").unwrap();
        for (name, _) in BASES {
            let text = CidBase::parse(name).unwrap().format(&cid);
            assert_eq!(parse_cid(&text).unwrap(), cid, "{name}");
        }
    }
}
