//! Which blocks a limited server (`--bucket`) may serve: those the named buckets reach, in
//! their working state and in every snapshot, with their Parquet indexes.
//!
//! The set holds one 64-bit keyed hash per multihash (8 bytes a block, so a million blocks
//! cost 8 MB), sorted for binary search. The hash key is random per process, so no one can
//! make a block outside the set collide with one inside it on purpose. The set is rebuilt
//! when the roots change, checked at most once per `RECHECK`; requests meanwhile use the
//! previous set, so a block added a moment ago may be refused for that long.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cid::Cid;
use ipfs_kit_buckets::Buckets;
use ipfs_kit_unixfs::BlockSource;

use crate::headers::Reject;

const RECHECK: Duration = Duration::from_secs(1);
const IDENTITY: u64 = 0x00;

pub struct Reach {
    buckets: Vec<String>,
    hasher: RandomState,
    state: Mutex<State>,
    /// Held by the one request that rebuilds the set.
    rebuilding: Mutex<()>,
}

#[derive(Default)]
struct State {
    roots: Vec<Cid>,
    keys: Arc<Vec<u64>>,
    checked: Option<Instant>,
}

impl Reach {
    pub fn new(buckets: Vec<String>) -> Self {
        Reach { buckets, hasher: RandomState::new(), state: Mutex::default(), rebuilding: Mutex::new(()) }
    }

    fn key(&self, cid: &Cid) -> u64 {
        self.hasher.hash_one(cid.hash().to_bytes())
    }

    pub fn contains(&self, home: &Buckets, cid: &Cid) -> Result<bool, Reject> {
        if cid.hash().code() == IDENTITY {
            return Ok(true);
        }
        let keys = self.keys(home)?;
        Ok(keys.binary_search(&self.key(cid)).is_ok())
    }

    /// The current set, rebuilt first if the roots changed (or never built).
    fn keys(&self, home: &Buckets) -> Result<Arc<Vec<u64>>, Reject> {
        let (fresh, built) = {
            let state = self.state.lock().expect("reach lock");
            (state.checked.is_some_and(|at| at.elapsed() < RECHECK), state.checked.is_some())
        };
        if !fresh {
            // Only one request rebuilds; the others use the previous set, unless there is none.
            let guard =
                if built { self.rebuilding.try_lock().ok() } else { Some(self.rebuilding.lock().expect("reach lock")) };
            if let Some(_guard) = guard {
                self.refresh(home)?;
            }
        }
        Ok(self.state.lock().expect("reach lock").keys.clone())
    }

    fn refresh(&self, home: &Buckets) -> Result<(), Reject> {
        if self.state.lock().expect("reach lock").checked.is_some_and(|at| at.elapsed() < RECHECK) {
            return Ok(()); // another request refreshed it while we waited
        }
        let roots = self.roots(home)?;
        let same = self.state.lock().expect("reach lock").roots == roots;
        let keys = if same { None } else { Some(Arc::new(self.walk(home, &roots)?)) };
        let mut state = self.state.lock().expect("reach lock");
        if let Some(keys) = keys {
            state.keys = keys;
            state.roots = roots;
        }
        state.checked = Some(Instant::now());
        Ok(())
    }

    /// The roots of the served buckets now and in every snapshot, with their indexes.
    fn roots(&self, home: &Buckets) -> Result<Vec<Cid>, Reject> {
        let mut roots = Vec::new();
        for name in &self.buckets {
            if let Ok(info) = home.info(name) {
                roots.push(info.row.root);
            }
        }
        for record in home.snapshots().map_err(Reject::internal)? {
            for (name, bucket) in &record.buckets {
                if self.buckets.contains(name) {
                    roots.extend(bucket.root(&record.snapshot_id).ok());
                    roots.extend(bucket.index(&record.snapshot_id).ok());
                }
            }
        }
        roots.sort();
        roots.dedup();
        Ok(roots)
    }

    /// Every block reachable from `roots` that the store holds, as sorted keys.
    fn walk(&self, home: &Buckets, roots: &[Cid]) -> Result<Vec<u64>, Reject> {
        let store = home.store();
        let mut seen = HashSet::new();
        let mut stack: Vec<Cid> = roots.to_vec();
        while let Some(cid) = stack.pop() {
            if !seen.insert(self.key(&cid)) || cid.hash().code() == IDENTITY {
                continue;
            }
            let Some(bytes) = store.get(&cid).map_err(Reject::internal)? else {
                continue;
            };
            // A block whose links cannot be read reaches nothing further.
            if let Ok(links) = ipfs_kit_ipld::links(&cid, &bytes) {
                stack.extend(links.into_iter().rev());
            }
        }
        let mut keys: Vec<u64> = seen.into_iter().collect();
        keys.sort_unstable();
        Ok(keys)
    }
}
