//! `pull`: a DAG from a remote (or a trustless gateway URL) into this home, CAR first, then
//! block by block for what a cut-off CAR left out, every block verified before it is stored
//! (see `ipfs_kit_buckets::pull_dag`), then mounted in a bucket when asked.

use std::io::Read;
use std::time::Duration;

use cid::Cid;
use ipfs_kit_buckets::Buckets;
use ipfs_kit_buckets::car::Mount;
use ipfs_kit_buckets::pull_dag::{DagSource, FetchError, MAX_BLOCK, PullReport};
use ipfs_kit_remotes::Remotes;
use ipfs_kit_remotes::fetch::Fetcher;
use ipfs_kit_remotes::http::Timeouts;
use ipfs_kit_remotes::retry::RetryPolicy;

use crate::{Observer, TransferError};

/// What to pull from where.
#[derive(Debug, Clone)]
pub struct PullRequest<'a> {
    pub root: Cid,
    /// A remote's name, or the http(s) URL of a trustless gateway.
    pub from: &'a str,
    /// Mount the DAG here once it is whole.
    pub mount: Option<Mount<'a>>,
    /// Tries in all for a transient fault.
    pub retries: u32,
    /// How long to wait for each answer.
    pub timeout: Duration,
}

/// What a pull did.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub report: PullReport,
    /// The bucket and path the root was mounted at.
    pub mounted: Option<(String, String)>,
}

/// The remote as the bucket layer's source of blocks.
struct Remote(Fetcher);

impl DagSource for Remote {
    fn car(&mut self, root: &Cid) -> Result<Box<dyn Read + '_>, FetchError> {
        Ok(self.0.car(root)?)
    }

    fn block(&mut self, cid: &Cid) -> Result<Vec<u8>, FetchError> {
        Ok(self.0.block(cid, MAX_BLOCK as u64)?)
    }
}

/// Pulls as `req` asks. A mount target is checked before anything is fetched. Blocks fetched
/// and verified are kept even when the pull fails, so pulling again resumes.
pub fn pull(
    buckets: &mut Buckets,
    req: &PullRequest<'_>,
    observer: &mut dyn Observer,
) -> Result<Pulled, TransferError> {
    if let Some(Mount { bucket, at: Some(at), replace }) = req.mount {
        buckets.check_mount_target(bucket, at, replace)?;
    }
    let remotes = Remotes::load(buckets.home().root())?;
    let timeouts = Timeouts { connect: Duration::from_secs(10), answer: req.timeout.max(Duration::from_secs(1)) };
    let fetcher = Fetcher::open(req.from, &remotes, RetryPolicy::with_attempts(req.retries), timeouts)?;
    let mut source = Remote(fetcher);
    observer.started("pulling", None);
    let report = buckets.pull(&mut source, &req.root);
    observer.finished();
    let report = report?;
    let mounted = match req.mount {
        Some(m) => Some(buckets.mount_stored(m, &req.root)?),
        None => None,
    };
    Ok(Pulled { report, mounted })
}
