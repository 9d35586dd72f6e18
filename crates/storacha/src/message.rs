//! ucanto agent messages: one CARv1 whose root is
//! `{"ucanto/message@7.0.0": {"execute": [invocations]}}` (a request) or
//! `{"ucanto/message@7.0.0": {"report": {"<task CID>": <receipt CID>}}}` (a response), with
//! every invocation, proof, receipt and attached block beside it.

use std::collections::{BTreeMap, HashMap};

use cid::Cid;
use ipfs_kit_car::{CarReader, CarWriter, Limits};

use crate::error::Error;
use crate::receipt::Receipt;
use crate::ucan::Ucan;
use crate::value::{Block, Value};

const TAG: &str = "ucanto/message@7.0.0";

/// The request CAR: `attached` blocks (proofs, receipts) first, then the invocations, then the
/// root, the order the JS client writes.
pub fn encode_request(invocations: &[Block], attached: &[Block]) -> Result<Vec<u8>, Error> {
    let execute = Value::List(invocations.iter().map(|b| Value::Link(b.cid)).collect());
    let root = Block::encode(&Value::map([(TAG, Value::map([("execute", execute)]))]));
    let mut car = CarWriter::new(Vec::new(), &[root.cid])?;
    let mut seen = std::collections::HashSet::new();
    for b in attached.iter().chain(invocations).chain([&root]) {
        if seen.insert(b.cid) {
            car.put(&b.cid, &b.bytes)?;
        }
    }
    Ok(car.finish()?.0)
}

/// A decoded response (or any agent message): its report and all its blocks.
#[derive(Debug, Clone)]
pub struct Message {
    pub root: Cid,
    pub execute: Vec<Cid>,
    /// Task CID → receipt CID.
    pub report: BTreeMap<Cid, Cid>,
    pub blocks: HashMap<Cid, Vec<u8>>,
}

impl Message {
    pub fn decode(car: &[u8]) -> Result<Message, Error> {
        let mut reader = CarReader::new(car, Limits::default())?;
        let [root] = reader.roots() else { return Err(Error::malformed("message", "not one root")) };
        let root = *root;
        let mut blocks = HashMap::new();
        while let Some(b) = reader.next_block()? {
            blocks.insert(b.cid, b.data);
        }
        let body = Value::from_cbor(blocks.get(&root).ok_or(Error::MissingBlock(root))?)?;
        let body = body.get(TAG).ok_or_else(|| Error::malformed("message", "no ucanto/message@7.0.0"))?;
        let bad = || Error::malformed("message", "bad execute or report");
        let execute = match body.get("execute") {
            Some(list) => list
                .as_list()
                .ok_or_else(bad)?
                .iter()
                .map(|l| l.as_link().copied().ok_or_else(bad))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let mut report = BTreeMap::new();
        for (task, receipt) in body.get("report").and_then(Value::as_map).into_iter().flatten() {
            let task: Cid = task.parse().map_err(|_| bad())?;
            report.insert(task, *receipt.as_link().ok_or_else(bad)?);
        }
        Ok(Message { root, execute, report, blocks })
    }

    pub fn block(&self, cid: &Cid) -> Result<&[u8], Error> {
        self.blocks.get(cid).map(Vec::as_slice).ok_or(Error::MissingBlock(*cid))
    }

    /// The receipt the message reports for `task`.
    pub fn receipt(&self, task: &Cid) -> Result<Receipt, Error> {
        let cid = self.report.get(task).ok_or(Error::MissingBlock(*task))?;
        Receipt::decode(self.block(cid)?)
    }

    /// An invocation carried in the message.
    pub fn invocation(&self, cid: &Cid) -> Result<Ucan, Error> {
        Ucan::decode(self.block(cid)?)
    }

    /// A receipt for `task` anywhere in the message: reported, or carried by a
    /// `ucan/conclude` invocation's `nb.receipt` (the form production "workflow" messages and
    /// the `fx` of `space/blob/add` use).
    pub fn find_receipt(&self, task: &Cid) -> Option<Receipt> {
        if let Ok(r) = self.receipt(task) {
            return Some(r);
        }
        self.blocks.values().filter_map(|bytes| Ucan::decode(bytes).ok()).find_map(|ucan| {
            let cap = ucan.payload.capabilities.first()?;
            if cap.can != "ucan/conclude" {
                return None;
            }
            let link = cap.nb.as_ref()?.get("receipt")?.as_link()?;
            let receipt = Receipt::decode(self.blocks.get(link)?).ok()?;
            (receipt.ran == *task).then_some(receipt)
        })
    }
}
