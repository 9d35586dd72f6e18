//! The sharded-DAG index (`index/sharded/dag@0.1`): where each block of an upload lies in its
//! CAR shards, so the gateway can serve the content once `space/index/add` has published it.
//!
//! ```text
//! root  = {"index/sharded/dag@0.1": {"content": <root CID>, "shards": [<shard block>, ...]}}
//! shard = [<shard multihash>, [[<block multihash>, [<offset>, <length>]], ...]]
//! ```
//! Offsets are those of block *data* inside the shard; the shard itself is a slice `[0, size]`.
//! Shards are sorted by multihash bytes and slices by digest bytes, as `@storacha/blob-index`
//! writes them, so the index CAR (root first) is byte for byte the JS client's.

use std::collections::BTreeMap;
use std::io::Read;

use cid::Cid;
use ipfs_kit_car::{CarReader, CarWriter, Limits};
use multihash::Multihash;
use sha2::{Digest, Sha256};

use crate::blob::BlobDigest;
use crate::error::Error;
use crate::value::{Block, Value};

/// One shard's slices: block multihash → (offset, length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSlices {
    pub shard: BlobDigest,
    pub slices: Vec<(Multihash<64>, u64, u64)>,
}

/// Hashes what passes through, so a shard is read once for both its blocks and its digest.
struct Tee<R> {
    inner: R,
    hash: Sha256,
    len: u64,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

impl ShardSlices {
    /// Reads a CAR shard once, verifying its blocks and recording where each one's data lies.
    /// Only one block is held at a time.
    pub fn read<R: Read>(car: R) -> Result<ShardSlices, Error> {
        let mut tee = Tee { inner: car, hash: Sha256::new(), len: 0 };
        let mut reader = CarReader::new(&mut tee, Limits::default())?;
        let mut slices = Vec::new();
        while let Some(b) = reader.next_block()? {
            let cid_len = b.cid.encoded_len() as u64;
            let data_len = b.data.len() as u64;
            let head = ipfs_kit_ipld::varint::len(cid_len + data_len) as u64;
            slices.push((*b.cid.hash(), b.offset + head + cid_len, data_len));
        }
        drop(reader);
        // Bytes a reader buffered past the last block would be hashed too; a CARv1 has none.
        let shard = BlobDigest { sha256: tee.hash.finalize().into(), size: tee.len };
        Ok(ShardSlices { shard, slices })
    }
}

/// The index blob for `content` stored in `shards`.
pub fn encode_index(content: Cid, shards: &[ShardSlices]) -> Result<Vec<u8>, Error> {
    let mut blocks = BTreeMap::new();
    for s in shards {
        let shard_mh = s.shard.multihash();
        let mut slices: BTreeMap<Vec<u8>, (Multihash<64>, u64, u64)> = BTreeMap::new();
        for &(mh, off, len) in &s.slices {
            slices.entry(mh.digest().to_vec()).or_insert((mh, off, len));
        }
        slices.entry(shard_mh.digest().to_vec()).or_insert((shard_mh, 0, s.shard.size));
        let list = slices.into_values().map(|(mh, off, len)| {
            Value::List(vec![
                Value::Bytes(mh.to_bytes()),
                Value::List(vec![Value::Int(off.into()), Value::Int(len.into())]),
            ])
        });
        let block = Block::encode(&Value::List(vec![Value::Bytes(shard_mh.to_bytes()), Value::List(list.collect())]));
        blocks.insert(shard_mh.to_bytes(), block);
    }
    let links = Value::List(blocks.values().map(|b| Value::Link(b.cid)).collect());
    let body = Value::map([("content", Value::Link(content)), ("shards", links)]);
    let root = Block::encode(&Value::map([("index/sharded/dag@0.1", body)]));
    let mut car = CarWriter::new(Vec::new(), &[root.cid])?;
    for b in [&root].into_iter().chain(blocks.values()) {
        car.put(&b.cid, &b.bytes)?;
    }
    Ok(car.finish()?.0)
}
