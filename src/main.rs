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
            eprintln!("ipfs-kit: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `ipfs-kit hash big/ | head -1` closing the pipe early is not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
