//! The `ipfs-kit` command line: parse, dispatch to one function per command, map errors to a
//! one-line message and an exit code.

mod cidfmt;
mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        // Help and --version go to stdout as clap prints them; a usage error is one line.
        Err(err) if !err.use_stderr() => err.exit(),
        Err(err) => {
            // The message is the first paragraph (a list of missing arguments included).
            let text = err.to_string();
            let message: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            let message = message.join(" ");
            eprintln!("ipfs-kit: {} (see --help)", message.strip_prefix("error: ").unwrap_or(&message));
            return ExitCode::from(2);
        }
    };
    match commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            match storage_hint(&err) {
                Some(hint) => eprintln!("ipfs-kit: {err:#} ({hint})"),
                None => eprintln!("ipfs-kit: {err:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// What a storage failure most likely means, in words. A row that no longer decodes (an
/// integer out of range, a wrong type) is a damaged database, as is SQLite's own verdict. SQLite reports a full disk as
/// `SQLITE_FULL`, or, when the WAL's shared-memory file cannot be made or grown, as an
/// `xShmMap`/`xShmOpen` I/O error that names neither cause; files report ENOSPC.
fn storage_hint(err: &anyhow::Error) -> Option<&'static str> {
    const FULL: &str = "the disk is full: free some space and run the command again";
    const SHM: &str = "SQLite could not map its shared-memory file: is the disk full, or the home read-only?";
    const READ_ONLY: &str = "the file system is read-only: reads work, writes need writable storage";
    const DAMAGED: &str = "a database looks damaged: `ipfs-kit check` says what is lost and how to rebuild it";
    err.chain().find_map(|e| {
        if let Some(
            rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..),
        ) = e.downcast_ref::<rusqlite::Error>()
        {
            return Some(DAMAGED);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::StorageFull => Some(FULL),
                std::io::ErrorKind::ReadOnlyFilesystem => Some(READ_ONLY),
                _ => None,
            };
        }
        if let Some(rusqlite::Error::SqliteFailure(code, _)) = e.downcast_ref::<rusqlite::Error>() {
            const SQLITE_IOERR_SHMOPEN: i32 = 4618;
            const SQLITE_IOERR_SHMSIZE: i32 = 4874;
            const SQLITE_IOERR_SHMMAP: i32 = 5386;
            if code.code == rusqlite::ErrorCode::DiskFull {
                return Some(FULL);
            }
            if code.code == rusqlite::ErrorCode::ReadOnly {
                return Some(READ_ONLY);
            }
            if matches!(code.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) {
                return Some(DAMAGED);
            }
            return matches!(code.extended_code, SQLITE_IOERR_SHMOPEN | SQLITE_IOERR_SHMSIZE | SQLITE_IOERR_SHMMAP)
                .then_some(SHM);
        }
        None
    })
}

/// `ipfs-kit hash big/ | head -1` closing the pipe early is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
