//! A CAR file on disk as a block source: one verifying pass builds an index of where each
//! block's bytes are, then blocks are read with `pread`. This is what `car ls`, `car verify` and
//! `car unpack` walk, so a CAR is never loaded into memory whole.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use cid::Cid;
use ipfs_kit_car::{CarReader, CarVersion, Limits};
use ipfs_kit_ipld::codec::{self, LinkReader};
use ipfs_kit_unixfs::Meter;
use ipfs_kit_unixfs::block::IDENTITY;
use ipfs_kit_unixfs::{BlockSource, DagReader};

use crate::error::BucketError;

/// A verified CAR file and the location of every block in it.
pub struct IndexedCar {
    path: PathBuf,
    file: File,
    pub version: CarVersion,
    pub roots: Vec<Cid>,
    /// multihash → (data offset, data length)
    index: HashMap<Vec<u8>, (u64, u64)>,
    pub blocks: u64,
    pub block_bytes: u64,
    /// Blocks indexed on open, then blocks read, for a progress display.
    meter: Arc<Meter>,
}

/// Bytes an unsigned varint of `n` takes.
fn varint_len(mut n: u64) -> u64 {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Where a block's bytes start in its CAR file.
pub(crate) fn data_offset(block: &ipfs_kit_car::Block) -> u64 {
    let cid_len = block.cid.encoded_len() as u64;
    block.offset + varint_len(cid_len + block.data.len() as u64) + cid_len
}

/// Blocks read from CAR files but not committed yet, in front of the store: what `car import
/// --bucket` checks a DAG against before it stores anything.
pub(crate) struct StagedCars<'s> {
    files: Vec<File>,
    /// multihash → (file, data offset, data length)
    index: HashMap<Vec<u8>, (usize, u64, u64)>,
    store: &'s dyn BlockSource,
}

impl<'s> StagedCars<'s> {
    pub(crate) fn new(store: &'s dyn BlockSource) -> Self {
        StagedCars { files: Vec::new(), index: HashMap::new(), store }
    }

    /// Starts a new file; blocks added next are in it.
    pub(crate) fn add_file(&mut self, file: File) {
        self.files.push(file);
    }

    pub(crate) fn add_block(&mut self, block: &ipfs_kit_car::Block) {
        let at = (self.files.len() - 1, data_offset(block), block.data.len() as u64);
        self.index.entry(block.cid.hash().to_bytes()).or_insert(at);
    }
}

impl BlockSource for StagedCars<'_> {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        let Some(&(file, offset, len)) = self.index.get(&cid.hash().to_bytes()) else {
            return self.store.get(cid);
        };
        let mut buf = vec![0u8; len as usize];
        self.files[file].read_exact_at(&mut buf, offset)?;
        Ok(Some(buf))
    }

    fn block_len(&self, cid: &Cid) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        match self.index.get(&cid.hash().to_bytes()) {
            Some(&(_, _, len)) => Ok(Some(len)),
            None => self.store.block_len(cid),
        }
    }
}

impl IndexedCar {
    /// Reads the whole file once, checking every block against its CID.
    pub fn open(path: &Path) -> Result<Self, BucketError> {
        Self::open_with(path, Arc::default(), false)
    }

    /// `open`, counting each block into `meter` as it is indexed and, later, as it is read.
    pub fn open_metered(path: &Path, meter: Arc<Meter>) -> Result<Self, BucketError> {
        Self::open_with(path, meter, false)
    }

    /// `open_metered`; with `zero_length_as_eof`, a zero-length section ends the CAR
    /// (`CarReader::zero_length_as_eof`) instead of being an error.
    pub fn open_with(path: &Path, meter: Arc<Meter>, zero_length_as_eof: bool) -> Result<Self, BucketError> {
        let file = File::open(path).map_err(BucketError::io(path))?;
        let mut reader = CarReader::new(
            BufReader::with_capacity(1 << 20, file.try_clone().map_err(BucketError::io(path))?),
            Limits::default(),
        )
        .map_err(|e| BucketError::BadCar { path: path.to_owned(), error: e })?
        .zero_length_as_eof(zero_length_as_eof);
        let (version, roots) = (reader.version(), reader.roots().to_vec());
        let mut index = HashMap::new();
        let (mut blocks, mut block_bytes) = (0, 0);
        while let Some(block) =
            reader.next_block().map_err(|e| BucketError::BadCar { path: path.to_owned(), error: e })?
        {
            let len = block.data.len() as u64;
            index.entry(block.cid.hash().to_bytes()).or_insert((data_offset(&block), len));
            blocks += 1;
            block_bytes += len;
            meter.block(len);
        }
        Ok(IndexedCar { path: path.to_owned(), file, version, roots, index, blocks, block_bytes, meter })
    }

    pub fn has(&self, cid: &Cid) -> bool {
        cid.hash().code() == IDENTITY || self.index.contains_key(&cid.hash().to_bytes())
    }

    /// The one root, or a clear error when there are none or several.
    pub fn single_root(&self) -> Result<Cid, BucketError> {
        match self.roots.as_slice() {
            [root] => Ok(*root),
            _ => Err(BucketError::NotOneRoot {
                what: self.path.display().to_string(),
                count: self.roots.len(),
                hint: "say which one with --root",
            }),
        }
    }

    /// What the DAG under `root` reaches that this CAR lacks, following links of every codec
    /// `ipfs_kit_ipld::links` reads (dag-pb, DAG-CBOR, DAG-JSON); a missing node hides its
    /// subtree, which is then not counted.
    pub fn missing_under(&self, root: &Cid) -> Result<Completeness, BucketError> {
        let reader = DagReader::new(self);
        let mut found = Completeness::default();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![*root];
        while let Some(cid) = stack.pop() {
            if !seen.insert(cid.hash().to_bytes()) {
                continue;
            }
            if !self.has(&cid) {
                found.missing.push(cid);
                continue;
            }
            match codec::link_reader(cid.codec()) {
                LinkReader::None => {}
                LinkReader::Unknown => found.opaque.push(cid),
                _ => stack.extend(ipfs_kit_ipld::links(&cid, &reader.block(&cid)?)?),
            }
        }
        Ok(found)
    }
}

/// What a walk of a DAG inside one CAR found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completeness {
    /// Linked blocks the CAR lacks, in walk order.
    pub missing: Vec<Cid>,
    /// Blocks present whose codec's links are not read (git-raw, dag-jose, …): what they link
    /// to is not checked, so completeness cannot be claimed for what lies below them.
    pub opaque: Vec<Cid>,
}

impl Completeness {
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.opaque.is_empty()
    }
}

impl BlockSource for IndexedCar {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        let Some(&(offset, len)) = self.index.get(&cid.hash().to_bytes()) else {
            return Ok(None);
        };
        let mut buf = vec![0u8; len as usize];
        self.file.read_exact_at(&mut buf, offset)?;
        self.meter.block(len);
        Ok(Some(buf))
    }

    fn block_len(&self, cid: &Cid) -> Result<Option<u64>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.index.get(&cid.hash().to_bytes()).map(|&(_, len)| len))
    }
}
