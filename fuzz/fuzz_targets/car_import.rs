//! Fuzzes `car import --bucket` at the DAG level: `Buckets::import_cars` with a mount, on a CAR
//! built from the input, into a scratch home, under small tree limits.
//!
//! The input is a list of blocks in the framing of `ipfs_kit_fuzz` (root first); they are
//! written, in order, as a CARv1 whose one root is the first block. So every block is correct
//! and the CAR reader passes: the fuzzer works on the DAG (check_tree, restore, tree rows, the
//! Parquet index), not on CAR syntax, which `car_reader` covers.
//!
//! Properties: no panic; a refused import leaves the fresh home as it was (no bucket `b`, no
//! index file, no block rows, no pack files, not even temporary ones); an accepted one gives a
//! bucket `b` (whose root is the CAR's root, or its `b` entry when the root is a global
//! snapshot directory) and a home whose `check` reports no errors.
//!
//! The home is made once per process (in `scratch_dir`, under /dev/shm when there is one) and reused while
//! imports are refused, which by the property leaves it untouched; after an accepted import it
//! is deleted and made again before the next input.

#![no_main]

use std::cell::RefCell;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipfs_kit_buckets::car::Mount;
use ipfs_kit_buckets::manifest::META_DIR;
use ipfs_kit_buckets::{Buckets, Home};
use ipfs_kit_car::CarWriter;
use ipfs_kit_fuzz::{LIMITS, blocks, scratch_dir};
use ipfs_kit_unixfs::reader::DagReader;
use libfuzzer_sys::fuzz_target;

struct Scratch {
    car: PathBuf,
    home: PathBuf,
    buckets: Option<Buckets>,
}

impl Scratch {
    fn new() -> Self {
        let dir = scratch_dir("car-import");
        Scratch { car: dir.join("input.car"), home: dir.join("home"), buckets: None }
    }

    /// The home, opened fresh if the last import changed it.
    fn buckets(&mut self) -> &mut Buckets {
        self.buckets.get_or_insert_with(|| {
            let _ = std::fs::remove_dir_all(&self.home);
            let mut buckets = Buckets::open(Home::new(&self.home)).expect("open scratch home");
            buckets.set_limits(LIMITS);
            buckets.set_lock_policy(Duration::ZERO, "fuzz car_import", Box::new(|_| {}));
            buckets
        })
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

fn entries_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let blocks = blocks(data);
    let Some(root) = blocks.first().map(|b| b.cid) else { return };
    SCRATCH.with_borrow_mut(|scratch| {
        let out = BufWriter::new(File::create(&scratch.car).expect("scratch CAR"));
        let mut car = CarWriter::new(out, &[root]).expect("CAR header");
        for b in &blocks {
            car.put(&b.cid, b.data).expect("CAR section");
        }
        car.finish().expect("CAR written");
        let car_path = scratch.car.clone();
        let home = scratch.home.clone();

        let buckets = scratch.buckets();
        let mount = Mount { bucket: "b", at: None, replace: false };
        match buckets.import_cars(&[car_path], Some(mount)) {
            Err(err) => {
                let names: Vec<String> = buckets.list().expect("list").into_iter().map(|s| s.row.name).collect();
                assert!(names.is_empty(), "refused import ({err}) left buckets {names:?}");
                let totals = buckets.store().totals().expect("totals");
                assert_eq!(totals, (0, 0), "refused import ({err}) left blocks in the store");
                let packs = entries_in(&home.join("store").join("packs"));
                assert!(packs.is_empty(), "refused import ({err}) left pack files {packs:?}");
                let indexes = entries_in(&Home::new(&home).index_dir());
                assert!(indexes.is_empty(), "refused import ({err}) left index files {indexes:?}");
            }
            Ok(report) => {
                assert_eq!(report.mounted, Some(("b".to_owned(), "/".to_owned())), "{report:?}");
                let bucket = buckets.info("b").expect("the imported bucket exists");
                if bucket.row.root != root {
                    let global = DagReader::new(buckets.store()).lookup(&root, META_DIR);
                    assert!(
                        matches!(global, Ok(Some(_))),
                        "bucket b has root {} for CAR root {root}, which is no global snapshot",
                        bucket.row.root
                    );
                }
                let check = buckets.check(false, false).expect("check runs");
                assert!(check.errors.is_empty(), "accepted import, then check finds {:?}", check.errors);
                // Start the next input from a fresh home.
                scratch.buckets = None;
            }
        }
    });
});
