//! A push to a Storacha remote: the bucket's DAG as CAR shards in a Storacha space.
//!
//! Write order (also in `docs/design.md`):
//! 1. per shard, a few at a time: read it once from the store to learn its digest and piece
//!    CID; `space/blob/add`; PUT the bytes, read from the store a second time (skipped when
//!    the service has the blob already); `ucan/conclude` the `http/put`; wait for
//!    `blob/accept`; `filecoin/offer`;
//! 2. the sharded-DAG index blob the same way, then `space/index/add`;
//! 3. `upload/add {root, shards}`;
//! 4. only then, one record in the push-state log: kind `storacha`, status `uploaded`, with
//!    the shard, piece and index CIDs.
//!
//! So an interrupted push records nothing, and a second run costs only the local hashing:
//! each shard the service holds already is answered as such by `space/blob/add` and not sent.
//! Shards are never in memory whole: each is streamed from the store, one block at a time.

use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cid::Cid;
use ipfs_kit_blockstore::BlockStore;
use ipfs_kit_buckets::car_export::CarPlan;
use ipfs_kit_remotes::RemoteError;
use ipfs_kit_remotes::retry::RetryPolicy;
use ipfs_kit_remotes::state::StorachaUpload;
use ipfs_kit_remotes::storacha::{self, Endpoint, remote_error};
use ipfs_kit_storacha::index::{ShardSlices, encode_index};
use ipfs_kit_storacha::{BlobDigest, BlobSource, PieceHasher, Storacha};
use sha2::{Digest, Sha256};

use crate::TransferError;

/// Shards stored at once: enough to overlap hashing with the network, few enough that
/// memory stays small (each stream holds one block).
const PARALLEL: usize = 2;

/// What a Storacha push stored.
#[derive(Debug, Clone)]
pub struct StorachaPushed {
    pub upload: StorachaUpload,
    pub shards_sent: usize,
    pub bytes_sent: u64,
    pub car_bytes: u64,
}

/// One shard, read from the store each time it is opened.
struct ShardSource<'a> {
    plan: &'a CarPlan,
    store: &'a BlockStore,
    k: usize,
}

impl BlobSource for ShardSource<'_> {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self.plan.shard_reader(self.store, self.k)))
    }
}

/// A shard once stored: its digest and piece CID.
#[derive(Clone, Copy)]
struct Done {
    blob: BlobDigest,
    piece: Cid,
    sent: bool,
}

/// Where the push goes and how hard it tries.
pub(crate) struct Target<'a> {
    pub endpoint: Endpoint<'a>,
    pub key: &'a str,
    pub proof: &'a str,
    pub attempts: u32,
    /// Check every block against its CID on the hashing pass (`--verify`).
    pub verify: bool,
}

/// Stores every shard of `plan`, the index, and the upload (see the module notes).
pub(crate) fn push(plan: &CarPlan, store: &BlockStore, target: &Target<'_>) -> Result<StorachaPushed, TransferError> {
    // Checks the key, the proof, and that the proof has not expired.
    let client = storacha::client(&target.endpoint, target.key, target.proof)?;
    let missing = storacha::missing_abilities(&client);
    if !missing.is_empty() {
        return Err(TransferError::Storacha(format!(
            "the proof does not grant {} on space {}; delegate them with `storacha delegation create {} -c {}`",
            missing.join(", "),
            client.space().map_err(|e| remote_error("the proof", e))?,
            client.agent(),
            storacha::ABILITIES.join(" -c ")
        )));
    }
    let done = store_shards(plan, store, &client, target)?;
    let slices: Vec<ShardSlices> = (0..plan.shards.len())
        .map(|k| ShardSlices {
            shard: done[k].blob,
            slices: plan.data_offsets(k).into_iter().map(|(cid, off, len)| (*cid.hash(), off, len)).collect(),
        })
        .collect();
    let index = encode_index(plan.root, &slices).map_err(|e| remote_error("the sharded-DAG index", e))?;
    let index_blob = retry(target.attempts, "index blob/add", || client.add_blob_bytes(&index))?.blob;
    retry(target.attempts, "space/index/add", || client.index_add(index_blob.car_cid()))?;
    let shards: Vec<Cid> = done.iter().map(|d| d.blob.car_cid()).collect();
    retry(target.attempts, "upload/add", || client.upload_add(plan.root, &shards))?;
    let sent: Vec<&Done> = done.iter().filter(|d| d.sent).collect();
    Ok(StorachaPushed {
        upload: StorachaUpload {
            space: client.space().map_err(|e| remote_error("the proof", e))?.to_owned(),
            shards: shards.iter().map(ToString::to_string).collect(),
            pieces: done.iter().map(|d| d.piece.to_string()).collect(),
            index: index_blob.car_cid().to_string(),
        },
        shards_sent: sent.len(),
        bytes_sent: sent.iter().map(|d| d.blob.size).sum(),
        car_bytes: plan.total_bytes(),
    })
}

/// Stores the shards, [`PARALLEL`] at a time; the first permanent failure stops the others.
fn store_shards(
    plan: &CarPlan,
    store: &BlockStore,
    client: &Storacha,
    target: &Target<'_>,
) -> Result<Vec<Done>, TransferError> {
    let n = plan.shards.len();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Done>>> = Mutex::new(vec![None; n]);
    let first_error: Mutex<Option<TransferError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(n) {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= n {
                        return;
                    }
                    match store_shard(plan, store, client, k, target) {
                        Ok(d) => results.lock().expect("not poisoned")[k] = Some(d),
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            first_error.lock().expect("not poisoned").get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().expect("not poisoned") {
        return Err(e);
    }
    Ok(results.into_inner().expect("not poisoned").into_iter().map(|d| d.expect("every shard stored")).collect())
}

/// Hashes shard `k` (digest and piece CID in one pass), stores it and offers it to Filecoin.
fn store_shard(
    plan: &CarPlan,
    store: &BlockStore,
    client: &Storacha,
    k: usize,
    target: &Target<'_>,
) -> Result<Done, TransferError> {
    let attempts = target.attempts;
    let source = ShardSource { plan, store, k };
    let (blob, piece) = digest(plan.shard_reader(store, k).verifying(target.verify)).map_err(TransferError::Read)?;
    if blob.size != plan.shards[k].bytes {
        return Err(TransferError::Storacha(format!(
            "shard {k}: read {} bytes, planned {}",
            blob.size, plan.shards[k].bytes
        )));
    }
    let stored = retry(attempts, "space/blob/add", || client.add_blob(blob, &source))?;
    retry(attempts, "filecoin/offer", || client.filecoin_offer(&blob, piece))?;
    Ok(Done { blob, piece, sent: stored.sent })
}

/// The blob digest and the piece CID of what `reader` reads.
fn digest(mut reader: impl Read) -> std::io::Result<(BlobDigest, Cid)> {
    let (mut sha, mut piece, mut size) = (Sha256::new(), PieceHasher::new(), 0u64);
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        piece.update(&buf[..n]);
        size += n as u64;
    }
    Ok((BlobDigest { sha256: sha.finalize().into(), size }, piece.finish()))
}

/// Runs `call` with the remotes' retry policy: transient faults are retried with backoff,
/// error receipts (unauthorized, no space) never.
fn retry<T>(
    attempts: u32,
    what: &str,
    mut call: impl FnMut() -> Result<T, ipfs_kit_storacha::Error>,
) -> Result<T, RemoteError> {
    RetryPolicy::with_attempts(attempts)
        .retry(|_| call(), ipfs_kit_storacha::Error::is_transient, |_, _, _| {})
        .map_err(|(e, _)| remote_error(what, e))
}
