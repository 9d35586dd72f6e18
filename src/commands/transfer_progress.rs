//! The CLI's `Observer` for push and pull: a progress line over the store's meter while bytes
//! move, and a line for each retry when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use ipfs_kit_transfer::Observer;
use ipfs_kit_unixfs::Meter;

use crate::commands::Context;
use crate::progress::Ticker;

pub(crate) struct TransferProgress<'a> {
    ctx: &'a Context,
    meter: Arc<Meter>,
    ticker: Option<Ticker>,
    chatty: bool,
}

impl<'a> TransferProgress<'a> {
    pub fn new(ctx: &'a Context, meter: Arc<Meter>) -> Self {
        let chatty = !ctx.quiet && std::io::stderr().is_terminal();
        TransferProgress { ctx, meter, ticker: None, chatty }
    }
}

impl Observer for TransferProgress<'_> {
    fn started(&mut self, what: &'static str, total_bytes: Option<u64>) {
        self.ticker = Some(self.ctx.ticker(what, total_bytes, self.meter.clone()));
    }

    fn finished(&mut self) {
        self.ticker = None;
    }

    fn retrying(&mut self, remote: &str, fault: &str, wait: Duration, attempt: u32, of: u32) {
        if self.chatty {
            eprintln!(
                "\ripfs-kit: push to {remote}: {fault}; trying again in {:.1}s (attempt {attempt} of {of})\x1b[K",
                wait.as_secs_f64()
            );
        }
    }
}
