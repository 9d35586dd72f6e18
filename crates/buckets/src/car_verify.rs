//! What `car verify` concludes about a CAR file, for the CLI and the Python package alike.

use cid::Cid;
use ipfs_kit_unixfs::block::{DAG_PB, RAW};
use ipfs_kit_unixfs::{TreeLimits, check_tree};

use crate::car_file::IndexedCar;
use crate::error::BucketError;

/// A CAR whose every block matched its CID (opening it checked that), and what its roots lead to.
#[derive(Debug, Clone, Default)]
pub struct CarVerdict {
    /// Linked blocks the CAR lacks.
    pub missing: Vec<Cid>,
    /// Blocks whose codec's links ipfs-kit does not read: completeness unknown below them.
    pub opaque: Vec<Cid>,
    /// Faults that make the CAR unusable: no root, a root not in it, or a complete UnixFS DAG
    /// that breaks the tree rules (`check_tree`) every import applies.
    pub faults: Vec<String>,
}

impl CarVerdict {
    /// Every root is present and the DAGs under them are whole and readable.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.opaque.is_empty() && self.faults.is_empty()
    }
}

impl IndexedCar {
    /// Walks the DAG under every root (see [`CarVerdict`]).
    pub fn verdict(&self, limits: &TreeLimits) -> Result<CarVerdict, BucketError> {
        let mut v = CarVerdict::default();
        if self.roots.is_empty() {
            v.faults.push("the header names no root".to_owned());
        }
        for root in &self.roots {
            if !self.has(root) {
                v.faults.push(format!("root {root} is not in the CAR"));
                continue;
            }
            let under = self.missing_under(root)?;
            // A complete UnixFS DAG must also be one that ipfs-kit can list, mount and unpack.
            if under.is_complete()
                && matches!(root.codec(), DAG_PB | RAW)
                && let Err(err) = check_tree(self, root, limits)
            {
                v.faults.push(format!("root {root}: {err}"));
            }
            v.missing.extend(under.missing);
            v.opaque.extend(under.opaque);
        }
        Ok(v)
    }
}
