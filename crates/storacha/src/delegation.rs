//! Proofs as users export them: a delegation archive, either the CAR `storacha delegation
//! create -o file.car` writes or its `--base64` form.
//!
//! The archive is a CAR whose root block is `{"ucan@0.9.1": <delegation CID>}` followed by every
//! block of the chain. The base64 form is `m` ‖ base64 (no padding) of a CIDv1 with codec CAR
//! and an *identity* multihash over the whole CAR: `01 82 04 00 varint(len) CAR`. That digest
//! is too long for `cid::Cid<64>`, so the four varints are read by hand.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use cid::Cid;
use ipfs_kit_car::{CarReader, Limits};
use ipfs_kit_ipld::varint;

use crate::error::Error;
use crate::ucan::Ucan;
use crate::value::{Block, Value};

/// A delegation and all the blocks its proof chain needs.
#[derive(Debug, Clone)]
pub struct Proof {
    pub cid: Cid,
    pub delegation: Ucan,
    /// Every block of the archive but its root, to attach to each invocation that cites it.
    pub blocks: Vec<Block>,
}

impl Proof {
    /// Parses either form: text starting with `m` is the base64 form, anything else a CAR.
    /// Plain padded base64 of the bare CAR (what the JS test harness prints) is accepted too.
    pub fn parse(input: &[u8]) -> Result<Proof, Error> {
        let text = input.trim_ascii();
        if text.first() == Some(&b'm') {
            let bytes = STANDARD_NO_PAD
                .decode(text[1..].trim_ascii_end())
                .map_err(|e| Error::Proof(format!("not base64 ({e})")))?;
            return Proof::from_car(unwrap_identity_cid(&bytes)?);
        }
        match Proof::from_car(input) {
            Err(e) => match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(car) => Proof::from_car(&car),
                Err(_) => Err(e),
            },
            ok => ok,
        }
    }

    /// Parses the CAR form.
    pub fn from_car(car: &[u8]) -> Result<Proof, Error> {
        let mut reader = CarReader::new(car, Limits::default())?;
        let [root] = reader.roots() else { return Err(Error::Proof("the archive must have one root".into())) };
        let root = *root;
        let mut blocks = Vec::new();
        let mut cid = None;
        while let Some(b) = reader.next_block()? {
            if b.cid == root {
                let v = Value::from_cbor(&b.data)?;
                cid = Some(
                    *v.get("ucan@0.9.1")
                        .and_then(Value::as_link)
                        .ok_or_else(|| Error::Proof("the root is not a ucan@0.9.1 archive".into()))?,
                );
            } else {
                blocks.push(Block { cid: b.cid, bytes: b.data });
            }
        }
        let cid = cid.ok_or_else(|| Error::Proof("the archive root block is missing".into()))?;
        let block = blocks.iter().find(|b| b.cid == cid).ok_or(Error::MissingBlock(cid))?;
        Ok(Proof { cid, delegation: Ucan::decode(&block.bytes)?, blocks })
    }

    /// The space the delegation is for: `with` of its first capability.
    pub fn space(&self) -> Option<&str> {
        self.delegation.payload.capabilities.first().map(|c| c.with.as_str())
    }
}

/// The CAR inside `01 82 04 00 varint(len) CAR`.
fn unwrap_identity_cid(bytes: &[u8]) -> Result<&[u8], Error> {
    let bad = |why: &str| Error::Proof(format!("the base64 proof is not an identity CID of a CAR: {why}"));
    let mut pos = 0;
    let mut next = || varint::get(bytes, &mut pos).map_err(|e| bad(&e.to_string()));
    let (version, codec, hash, len) = (next()?, next()?, next()?, next()?);
    if (version, codec, hash) != (1, 0x0202, 0) {
        return Err(bad(&format!("version {version}, codec {codec:#x}, hash {hash:#x}")));
    }
    let car = &bytes[pos..];
    if car.len() as u64 != len {
        return Err(bad("the length does not match"));
    }
    Ok(car)
}
