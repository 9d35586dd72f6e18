//! The one thread that changes the catalog for the S3 endpoint, batching what arrives together.
//!
//! Requests send it jobs and wait for the answer. It takes one job, then everything already
//! queued (up to `MAX_BATCH`), imports all their small bodies into one pack (one fsync), and
//! applies each bucket's changes in one catalog transaction (`Buckets::apply_objects`): one new
//! version and root per bucket per batch. Every answer still means "durable": a job is answered
//! only after the transaction holding its change committed. Nothing waits for company: a lone
//! request is applied at once, and batches form only when requests queue up behind a commit.
//! The writer lock is taken per batch (inside `apply_objects`), never held while idle, so
//! `bucket add`, snapshots and `gc` run beside the server.
//!
//! The Parquet index is not rewritten per batch (its cost grows with the bucket, which made a
//! long `aws s3 sync` quadratic): a changed bucket's index is rewritten once the queue has been
//! idle for `INDEX_IDLE`, at least every `INDEX_EVERY` while busy, and when the server stops
//! (`flush`). Meanwhile it is stale, as a crash would leave it, and any command that opens the
//! home rewrites it first.

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ipfs_kit_blockstore::BlockPin;
use ipfs_kit_buckets::objects::{ObjectChange, ObjectWrite};
use ipfs_kit_buckets::{BucketError, BucketRow, Buckets, Home};
use tokio::sync::oneshot;

const MAX_BATCH: usize = 1000;
const INDEX_IDLE: Duration = Duration::from_secs(1);
const INDEX_EVERY: Duration = Duration::from_secs(10);

/// A change still to be made: a ready one, or a put whose small body the committer imports.
pub enum Pending {
    Ready(ObjectChange),
    Small { body: Bytes, write: Box<ObjectWrite> },
}

/// The answer to a job: the bucket after the batch, and one outcome per change.
pub struct Applied {
    pub bucket: BucketRow,
    pub outcomes: Vec<Result<Option<ObjectWrite>, BucketError>>,
}

struct Job {
    bucket: String,
    changes: Vec<Pending>,
    /// Pins of blocks imported elsewhere for these changes, released once they are applied.
    _pins: Vec<BlockPin>,
    reply: oneshot::Sender<Result<Applied, BucketError>>,
}

enum Message {
    Apply(Job),
    /// Rewrite the stale indexes now, then answer.
    Flush(oneshot::Sender<()>),
}

/// The committer's queue.
#[derive(Clone)]
pub struct Committer {
    jobs: mpsc::Sender<Message>,
}

impl Committer {
    /// Starts the thread over `home`; it ends when every `Committer` clone is dropped.
    pub fn start(home: Home) -> Result<Committer, BucketError> {
        // `Buckets` is not `Send` (its lock-wait callback): it is opened on the thread itself,
        // which reports whether that worked before the server goes on.
        let (jobs, queue) = mpsc::channel::<Message>();
        let (opened, open_result) = mpsc::channel();
        std::thread::Builder::new()
            .name("ipfs-kit-s3-commit".into())
            .spawn(move || match Buckets::open(home) {
                Ok(mut buckets) => {
                    buckets.set_lock_policy(std::time::Duration::from_secs(300), "serve --s3", Box::new(|_| {}));
                    let _ = opened.send(Ok(()));
                    run(buckets, queue);
                }
                Err(e) => {
                    let _ = opened.send(Err(e));
                }
            })
            .map_err(|e| BucketError::Io { path: "committer thread".into(), source: e })?;
        open_result.recv().unwrap_or_else(|_| Err(BucketError::Incomplete("the S3 committer did not start".into())))?;
        Ok(Committer { jobs })
    }

    /// Applies `changes` to `bucket`; resolves once they are durable (or refused).
    pub async fn apply(
        &self,
        bucket: &str,
        changes: Vec<Pending>,
        pins: Vec<BlockPin>,
    ) -> Result<Applied, BucketError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { bucket: bucket.to_owned(), changes, _pins: pins, reply };
        if self.jobs.send(Message::Apply(job)).is_err() {
            return Err(BucketError::Incomplete("the S3 committer has stopped".into()));
        }
        answer.await.unwrap_or_else(|_| Err(BucketError::Incomplete("the S3 committer has stopped".into())))
    }
}

impl Committer {
    /// Rewrites the indexes left stale by batches; resolves once done (the server's stop).
    pub async fn flush(&self) {
        let (reply, done) = oneshot::channel();
        if self.jobs.send(Message::Flush(reply)).is_ok() {
            let _ = done.await;
        }
    }
}

fn run(mut buckets: Buckets, queue: mpsc::Receiver<Message>) {
    let mut stale = BTreeSet::new();
    let mut stale_since: Option<Instant> = None;
    loop {
        let first = if stale.is_empty() {
            queue.recv().ok()
        } else {
            match queue.recv_timeout(INDEX_IDLE) {
                Ok(message) => Some(message),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    reindex(&mut buckets, &mut stale);
                    stale_since = None;
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => None,
            }
        };
        let Some(first) = first else { break };
        let mut batch = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Apply(job) => batch.push(job),
                Message::Flush(reply) => flushes.push(reply),
            }
            if batch.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            stale.extend(batch.iter().map(|j| j.bucket.clone()));
            stale_since.get_or_insert_with(Instant::now);
            commit_batch(&mut buckets, batch);
        }
        if !flushes.is_empty() || stale_since.is_some_and(|t| t.elapsed() >= INDEX_EVERY) {
            reindex(&mut buckets, &mut stale);
            stale_since = None;
        }
        for reply in flushes {
            let _ = reply.send(());
        }
    }
    reindex(&mut buckets, &mut stale);
}

/// Rewrites the index of every bucket in `stale`. A bucket deleted meanwhile has none; any
/// other failure leaves the index stale for the next command to repair, and is logged.
fn reindex(buckets: &mut Buckets, stale: &mut BTreeSet<String>) {
    for name in std::mem::take(stale) {
        match buckets.reindex(&name) {
            Ok(()) | Err(BucketError::NoSuchBucket(_)) => {}
            Err(e) => eprintln!("ipfs-kit serve --s3: the Parquet index of {name:?} stays stale for now: {e}"),
        }
    }
}

/// A job after its small bodies were imported: its changes, or why it failed whole.
struct Prepared {
    job: Job,
    changes: Vec<Result<ObjectChange, BucketError>>,
}

fn commit_batch(buckets: &mut Buckets, batch: Vec<Job>) {
    let (prepared, pin) = match import_small(buckets, batch) {
        Ok(done) => done,
        Err((jobs, err)) => {
            let text = err.to_string();
            for job in jobs {
                let _ = job.reply.send(Err(BucketError::Incomplete(text.clone())));
            }
            return;
        }
    };
    // Group by bucket, keeping each job's changes in order.
    let mut order: Vec<String> = Vec::new();
    let mut by_bucket: HashMap<String, Vec<Prepared>> = HashMap::new();
    for p in prepared {
        if !by_bucket.contains_key(&p.job.bucket) {
            order.push(p.job.bucket.clone());
        }
        by_bucket.entry(p.job.bucket.clone()).or_default().push(p);
    }
    for name in order {
        let jobs = by_bucket.remove(&name).expect("grouped above");
        let changes: Vec<ObjectChange> =
            jobs.iter().flat_map(|p| p.changes.iter().filter_map(|c| c.as_ref().ok().cloned())).collect();
        let result = if changes.is_empty() {
            buckets.info(&name).map(|s| (s.row, Vec::new()))
        } else {
            buckets.apply_objects(&name, &changes, false)
        };
        match result {
            Ok((row, outcomes)) => {
                let mut outcomes = outcomes.into_iter();
                for p in jobs {
                    let answers = p
                        .changes
                        .into_iter()
                        .map(|c| match c {
                            Ok(change) => outcomes.next().expect("one outcome per change").map(|()| put_of(change)),
                            Err(e) => Err(e),
                        })
                        .collect();
                    let _ = p.job.reply.send(Ok(Applied { bucket: row.clone(), outcomes: answers }));
                }
            }
            Err(err) => {
                let text = err.to_string();
                let mut first = Some(err);
                for p in jobs {
                    let e = first.take().unwrap_or_else(|| BucketError::Incomplete(text.clone()));
                    let _ = p.job.reply.send(Err(e));
                }
            }
        }
    }
    drop(pin);
}

fn put_of(change: ObjectChange) -> Option<ObjectWrite> {
    match change {
        ObjectChange::Put(w) => Some(*w),
        _ => None,
    }
}

type Failed = (Vec<Job>, BucketError);

/// Imports every small body of the batch into one pack and commits it.
fn import_small(buckets: &mut Buckets, batch: Vec<Job>) -> Result<(Vec<Prepared>, Option<BlockPin>), Failed> {
    let has_small = batch.iter().any(|j| j.changes.iter().any(|c| matches!(c, Pending::Small { .. })));
    if !has_small {
        let prepared = batch
            .into_iter()
            .map(|mut job| {
                let changes = std::mem::take(&mut job.changes)
                    .into_iter()
                    .map(|c| match c {
                        Pending::Ready(change) => Ok(change),
                        Pending::Small { .. } => unreachable!("checked above"),
                    })
                    .collect();
                Prepared { job, changes }
            })
            .collect();
        return Ok((prepared, None));
    }
    let mut profiles = HashMap::new();
    for job in &batch {
        if !profiles.contains_key(&job.bucket) {
            profiles.insert(job.bucket.clone(), buckets.profile(&job.bucket));
        }
    }
    let mut blocks = match buckets.object_blocks() {
        Ok(b) => b,
        Err(e) => return Err((batch, e)),
    };
    let mut prepared = Vec::with_capacity(batch.len());
    for mut job in batch {
        let profile = profiles.get(&job.bucket).expect("looked up above");
        let changes = std::mem::take(&mut job.changes)
            .into_iter()
            .map(|c| match c {
                Pending::Ready(change) => Ok(change),
                Pending::Small { body, mut write } => {
                    let profile = profile.as_ref().map_err(|e| BucketError::Incomplete(e.to_string()))?;
                    let imported = blocks.import(profile, &mut &body[..], Some(body.len() as u64))?;
                    write.node = imported.node;
                    write.sha256 = imported.sha256;
                    Ok(ObjectChange::Put(write))
                }
            })
            .collect();
        prepared.push(Prepared { job, changes });
    }
    match blocks.commit() {
        Ok(pin) => Ok((prepared, Some(pin))),
        Err(e) => Err((prepared.into_iter().map(|p| p.job).collect(), e)),
    }
}
