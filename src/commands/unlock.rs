//! `ipfs-kit unlock`: clears a stale writer lock record, and only a stale one.
//!
//! The lock is an OS file lock, which the OS drops when its holder dies, so a record whose
//! lock is free was left by a crashed writer. Taking the lock and releasing it clears the
//! record; a lock held by a live process is reported and left alone.

use anyhow::{Result, bail};
use ipfs_kit_blockstore::{LockState, WriterLock};
use serde_json::json;

use super::Context;

pub fn run(ctx: &Context, json: bool) -> Result<()> {
    let path = ctx.home.lock_path();
    let cleared = match WriterLock::inspect(&path)? {
        LockState::Held(holder) => bail!("the lock is held by a live process, {holder}; not clearing it"),
        LockState::Free => None,
        LockState::Stale(_) => {
            let lock = WriterLock::acquire(&path, "ipfs-kit unlock", std::time::Duration::ZERO, &mut |_| {})?;
            let stale = lock.replaced_stale.clone();
            drop(lock);
            stale
        }
    };
    match (&cleared, json) {
        (Some(h), true) => println!("{}", json!({"cleared": true, "pid": h.pid, "host": h.host, "command": h.command})),
        (None, true) => println!("{}", json!({"cleared": false})),
        (Some(h), false) => println!("cleared the stale lock of {h}"),
        (None, false) => println!("no stale lock"),
    }
    Ok(())
}
