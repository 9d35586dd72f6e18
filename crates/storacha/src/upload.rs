//! The blob flow: `space/blob/add` → PUT → `ucan/conclude` of the `http/put` receipt → poll
//! `blob/accept`, for one blob whose bytes are streamed from a [`BlobSource`].
//!
//! The digest must be known before `space/blob/add`, and the bytes are sent after it, so a
//! blob is read twice: once by the caller to hash it, once here for the PUT. Holding a 127 MiB
//! shard in memory instead (as the JS client does) would make memory grow with the shard size
//! and the parallelism; reading twice keeps it at one block per stream.

use std::io::Read;
use std::time::Duration;

use cid::Cid;

use crate::blob::BlobDigest;
use crate::client::{Storacha, http_err};
use crate::error::Error;
use crate::invoke;
use crate::message::Message;
use crate::value::Value;

/// Bytes of a blob that can be read from the start as often as needed.
pub trait BlobSource: Sync {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>>;
}

impl BlobSource for &[u8] {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(*self))
    }
}

impl BlobSource for Vec<u8> {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(&self[..]))
    }
}

/// What storing a blob took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub blob: BlobDigest,
    /// False when the service had the blob already (nothing was sent).
    pub sent: bool,
}

impl Storacha {
    /// Stores one blob of `bytes` (an index, a small shard).
    pub fn add_blob_bytes(&self, bytes: &[u8]) -> Result<Stored, Error> {
        self.add_blob(BlobDigest::of(bytes), &bytes)
    }

    /// Stores one blob (a CAR shard or an index) in the space and waits until it is accepted.
    ///
    /// `blob` must be the digest and size of what `source` reads; the storage node checks the
    /// checksum, so a source that changed between the two passes fails the PUT.
    pub fn add_blob(&self, blob: BlobDigest, source: &dyn BlobSource) -> Result<Stored, Error> {
        let space = self.space()?.to_owned();
        let (receipt, msg) = self.call(invoke::space_blob_add(&space, &blob), true, vec![], vec![])?;
        let ok = receipt.out.as_ref().map_err(|_| Error::malformed("space/blob/add receipt", "not ok"))?;
        let accept = ok
            .get("site")
            .and_then(|s| s.get("ucan/await"))
            .and_then(Value::as_list)
            .and_then(|l| l.get(1))
            .and_then(Value::as_link)
            .copied()
            .ok_or_else(|| Error::malformed("space/blob/add receipt", "no site await"))?;
        if let Some(r) = msg.find_receipt(&accept) {
            // Accepted before: the service holds the blob already.
            return self.check("blob/accept", &r).map(|()| Stored { blob, sent: false });
        }
        let task = |can: &str| {
            receipt.fork.iter().copied().find(|c| msg.invocation(c).is_ok_and(|u| u.payload.capabilities[0].can == can))
        };
        let put = task("http/put").ok_or_else(|| Error::malformed("space/blob/add receipt", "no http/put task"))?;
        let allocate =
            task("blob/allocate").ok_or_else(|| Error::malformed("space/blob/add receipt", "no allocate"))?;
        let mut sent = false;
        if msg.find_receipt(&put).is_none() {
            let alloc = msg.find_receipt(&allocate).ok_or(Error::MissingBlock(allocate))?;
            self.check("blob/allocate", &alloc)?;
            let address = alloc.out.as_ref().ok().and_then(|o| o.get("address")).filter(|a| **a != Value::Null);
            if let Some(address) = address {
                self.put(address, &blob, source)?;
                sent = true;
            }
            self.conclude_put(&blob, put)?;
        }
        self.poll_accept(&accept)?;
        Ok(Stored { blob, sent })
    }

    /// Tells the service the bytes are there: the `http/put` receipt, signed by the key derived
    /// from the blob's digest, in a `ucan/conclude`.
    fn conclude_put(&self, blob: &BlobDigest, put: Cid) -> Result<(), Error> {
        let put_receipt = blob.put_receipt(put).block();
        let agent = self.signer.did().to_owned();
        let facts = invoke::ucan_conclude_facts(put_receipt.cid);
        self.call(invoke::ucan_conclude(&agent, put_receipt.cid), false, facts, vec![put_receipt]).map(drop)
    }

    /// PUTs the bytes, streamed, with exactly the allocated headers and the known length.
    fn put(&self, address: &Value, blob: &BlobDigest, source: &dyn BlobSource) -> Result<(), Error> {
        let url = address.get("url").and_then(Value::as_str).ok_or_else(|| Error::malformed("address", "no url"))?;
        let mut req = self.put_http.put(url).header("content-length", blob.size.to_string());
        for (k, v) in address.get("headers").and_then(Value::as_map).into_iter().flatten() {
            req = req.header(k, v.as_str().unwrap_or_default());
        }
        let mut reader = source.open()?;
        let resp = req.send(ureq::SendBody::from_reader(&mut reader)).map_err(|e| http_err("PUT", e, true))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let why = format!("HTTP {status} for blob {}", blob.car_cid());
            return Err(http_err("PUT to the storage node", why, status >= 500 || status == 429));
        }
        Ok(())
    }

    /// Asks for the `blob/accept` receipt until it is there, backing off up to 5 s.
    fn poll_accept(&self, accept: &Cid) -> Result<(), Error> {
        let url = format!("{}{accept}", self.config.receipts_url);
        let mut delay = Duration::from_millis(100);
        for _ in 0..self.config.polls {
            let mut resp = self.http.get(&url).call().map_err(|e| http_err("receipt", e, true))?;
            if resp.status().as_u16() == 200 {
                let bytes = resp
                    .body_mut()
                    .with_config()
                    .limit(64 << 20)
                    .read_to_vec()
                    .map_err(|e| http_err("receipt", e, true))?;
                if let Some(r) = Message::decode(&bytes)?.find_receipt(accept) {
                    return self.check("blob/accept", &r);
                }
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        Err(http_err("blob/accept", format!("no receipt for {accept} yet"), true))
    }
}
