//! Command-line arguments as clap parses them. Validation into checked values happens in each
//! command before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "ipfs-kit", version, about = "Content-addressed buckets with real IPFS CIDs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the root CID of each PATH without storing anything (like `ipfs add -Q --only-hash`).
    Hash(HashArgs),
}

/// The settings that decide CIDs: a profile and explicit overrides.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Import profile: unixfs-v1-2025 (default), unixfs-v0-2015 or ipfs-car.
    #[arg(long, default_value = "unixfs-v1-2025")]
    pub profile: String,
    /// CID version for dag-pb nodes (0 or 1); 1 turns on raw leaves unless --raw-leaves says otherwise.
    #[arg(long)]
    pub cid_version: Option<u64>,
    /// Store leaves as raw blocks (true/false).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub raw_leaves: Option<bool>,
    /// Chunker, as size-N (bytes, at most 1048576).
    #[arg(long)]
    pub chunker: Option<String>,
    /// Maximum links per file node.
    #[arg(long)]
    pub max_links: Option<usize>,
}

#[derive(Debug, Args)]
pub struct HashArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Include files and directories whose names start with '.'.
    #[arg(long, short = 'H')]
    pub hidden: bool,
    /// Print one JSON object per PATH with the CID, sizes and block count.
    #[arg(long)]
    pub json: bool,
    /// Multibase for printed CIDs: base32 (the default for CIDv1), base58btc (zdj7W…, and the
    /// Qm… form for CIDv0), base36, base16, base64, …
    #[arg(long)]
    pub cid_base: Option<String>,
    /// Files, directories or symlinks to hash.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}
