//! The endpoint's shared state, and where its blocking work runs.
//!
//! Reads (listings, heads, object bytes) run on the runtime's blocking pool, each thread with a
//! `Buckets` of its own, opened once (`read`). Imports of large bodies run there too, with a
//! writable `Buckets` per thread (`import`). Catalog changes all go to the one committer thread
//! (`committer`), which batches them.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use ipfs_kit_buckets::{Buckets, Home};
use s3s::{S3Error, S3Result, s3_error};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::committer::Committer;
use crate::keys::KeyRing;

/// Limits of the endpoint (see `docs/s3.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Limits {
    /// Large bodies (over `SMALL_BODY`) imported at once; each holds up to ~32 MiB of buffers.
    pub max_uploads: usize,
    /// The largest object (PutObject) or part (UploadPart), as in S3.
    pub max_object_size: u64,
    /// A request waiting longer than this for an upload slot gets `SlowDown`.
    pub queue_wait: Duration,
    /// A body that sends nothing for this long is given up (`RequestTimeout`).
    pub read_stall: Duration,
}

impl Default for S3Limits {
    fn default() -> Self {
        S3Limits {
            max_uploads: 2,
            max_object_size: 5 << 30,
            queue_wait: Duration::from_secs(30),
            read_stall: Duration::from_secs(60),
        }
    }
}

/// Bodies up to this size are read whole and imported by the committer with others (one pack,
/// one fsync for many); larger ones stream into their own pack.
pub const SMALL_BODY: u64 = 1 << 20;
/// How many small-body bytes may wait in memory at once (in KiB permits).
const SMALL_BUDGET_KIB: usize = 16 * 1024;

pub struct Kit {
    pub home: Home,
    pub keys: Arc<KeyRing>,
    pub committer: Committer,
    pub limits: S3Limits,
    uploads: Arc<Semaphore>,
    small: Arc<Semaphore>,
}

thread_local! {
    static READER: RefCell<Option<Buckets>> = const { RefCell::new(None) };
    static IMPORTER: RefCell<Option<Buckets>> = const { RefCell::new(None) };
}

impl Kit {
    pub fn new(home: Home, keys: Arc<KeyRing>, committer: Committer, limits: S3Limits) -> Kit {
        Kit {
            home,
            keys,
            committer,
            limits,
            uploads: Arc::new(Semaphore::new(limits.max_uploads.max(1))),
            small: Arc::new(Semaphore::new(SMALL_BUDGET_KIB)),
        }
    }

    /// Runs `f` on the blocking pool with this thread's reading `Buckets`.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Buckets) -> S3Result<T> + Send + 'static,
    ) -> S3Result<T> {
        let home = self.home.clone();
        blocking(move || with(&READER, &home, f)).await
    }

    /// Runs `f` on the blocking pool with this thread's `Buckets` for writing blocks.
    pub async fn import<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Buckets) -> S3Result<T> + Send + 'static,
    ) -> S3Result<T> {
        let home = self.home.clone();
        blocking(move || with(&IMPORTER, &home, f)).await
    }

    /// A slot for one large import; `SlowDown` (which clients retry) after `queue_wait`.
    pub async fn upload_slot(&self) -> S3Result<OwnedSemaphorePermit> {
        match tokio::time::timeout(self.limits.queue_wait, self.uploads.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(s3_error!(SlowDown, "too many uploads at once; retry")),
        }
    }

    /// Room for a small body of `len` bytes in memory.
    pub async fn small_slot(&self, len: u64) -> S3Result<OwnedSemaphorePermit> {
        let kib = u32::try_from(len.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
        match tokio::time::timeout(self.limits.queue_wait, self.small.clone().acquire_many_owned(kib)).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(s3_error!(SlowDown, "too many uploads at once; retry")),
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> S3Result<T> + Send + 'static) -> S3Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(S3Error::internal_error(e)),
    }
}

fn with<T>(
    slot: &'static std::thread::LocalKey<RefCell<Option<Buckets>>>,
    home: &Home,
    f: impl FnOnce(&mut Buckets) -> S3Result<T>,
) -> S3Result<T> {
    slot.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            let mut buckets = Buckets::open_existing(home.clone()).map_err(crate::answers::from_bucket)?;
            buckets.set_lock_policy(Duration::from_secs(60), "serve --s3", Box::new(|_| {}));
            *cell = Some(buckets);
        }
        f(cell.as_mut().expect("opened above"))
    })
}
