//! `ipfs-kit demo`: written in the next step.
use anyhow::Result;

use super::Context;

pub fn run(_ctx: &Context, _json: bool) -> Result<()> {
    anyhow::bail!("not built yet")
}
