//! Command-line arguments as clap parses them. Validation into checked values happens in each
//! command before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::cidfmt::CidBase;

#[derive(Debug, Parser)]
#[command(name = "ipfs-kit", version, about = "Content-addressed buckets with real IPFS CIDs")]
pub struct Cli {
    /// The ipfs-kit home (default: $IPFS_KIT_HOME, else ~/.ipfs_kit).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Seconds to wait for another writer's lock before giving up.
    #[arg(long, global = true, default_value_t = 300, value_name = "SECS")]
    pub lock_wait: u64,
    /// The most entries a DAG from elsewhere (a CAR, a CID to restore) may describe
    /// [default: 1000000]; depth (1024), path (4096 bytes) and name (255 bytes) limits are fixed.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_entries: Option<u64>,
    /// Never draw a progress line (progress is drawn on stderr, and only on a terminal).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the root CID of each PATH without storing anything (like `ipfs add -Q --only-hash`).
    Hash(HashArgs),
    /// Named, versioned folders of files with real CIDs.
    #[command(subcommand)]
    Bucket(BucketCommand),
    /// Read, check, list and unpack CAR files, and import them into the block store.
    #[command(subcommand)]
    Car(CarCommand),
    /// Build a deterministic demo home (4 buckets, 9 files), snapshot it, and report measured timings.
    Demo {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// IPFS services to push buckets to, by name: Kubo RPC nodes, pinning services, gateways.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Fetch a DAG from a kubo remote, a gateway remote or a trustless gateway URL, every block
    /// checked against its CID and the DAG; then mount it in a bucket or write it out.
    Pull(PullArgs),
    /// Serve the home over HTTP on loopback: an IPFS trustless and path gateway (`/ipfs/CID`),
    /// buckets and snapshots by name (`/bucket/NAME/…`, `/snapshot/ID/BUCKET/…`), Delegated
    /// Routing (`/routing/v1/providers/CID`) and a web page at `/`. Read only; stops on Ctrl-C.
    Serve(ServeArgs),
    /// Access keys of the S3 endpoint (`serve --s3`).
    #[command(subcommand)]
    S3(S3Command),
    /// Manage the snapshot history.
    #[command(subcommand)]
    Snapshots(SnapshotsCommand),
    /// Delete blocks that no bucket and no snapshot reaches (mark and sweep).
    Gc {
        /// Only report what would be deleted.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Check that every snapshot, bucket, index and block is present and consistent.
    Check {
        /// Also read every stored block and check its bytes against its CID.
        #[arg(long)]
        read_data: bool,
        /// Fix what can be fixed from good data: rewrite indexes and the manifest, drop damaged blocks.
        #[arg(long)]
        repair: bool,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Clear a stale writer lock (one whose holder is gone); a live holder's lock is left alone.
    Unlock {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BucketCommand {
    /// Create an empty bucket.
    Create {
        name: String,
        /// Import profile for the bucket: unixfs-v1-2025 (default) or unixfs-v0-2015.
        #[arg(long, default_value = "unixfs-v1-2025")]
        profile: String,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// List buckets.
    List {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Show a bucket's root CID, file count, total size and profile.
    Info {
        name: String,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Add files and folders under their own names inside DIR (like cp -r); re-adding replaces.
    Add {
        name: String,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Folder inside the bucket to add into (default: the root).
        #[arg(long, default_value = "/")]
        to: String,
        /// Include names starting with '.'.
        #[arg(long, short = 'H')]
        hidden: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// List the files of a bucket.
    Files {
        name: String,
        /// Only paths starting with this.
        #[arg(long, default_value = "")]
        prefix: String,
        /// At most this many.
        #[arg(long)]
        limit: Option<u64>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Write a file's bytes to stdout, checking every block.
    Cat { name: String, path: String },
    /// Write a file or folder of a bucket to OUT (which must not exist).
    Get {
        name: String,
        path: String,
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: PathBuf,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Remove a file (a folder with --recursive).
    RmFile {
        name: String,
        path: String,
        #[arg(long, short = 'r')]
        recursive: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Move or rename a file or folder inside a bucket.
    Mv {
        name: String,
        from: String,
        to: String,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Delete a bucket (its blocks stay until gc).
    Rm {
        name: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Record the state of buckets (all of them by default) as a snapshot with real CIDs.
    Snapshot {
        /// Buckets to snapshot; the others keep their state from the previous snapshot.
        names: Vec<String>,
        /// Snapshot every bucket (the default when no NAME is given).
        #[arg(long, conflicts_with = "names")]
        all: bool,
        /// A message to keep with the snapshot.
        #[arg(short = 'm', long)]
        message: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// List snapshots, or one bucket's state in each snapshot.
    Snapshots {
        #[arg(long)]
        bucket: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The version history of one bucket, as its snapshots recorded it.
    Log {
        name: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Added, removed and modified paths between two states of a bucket.
    Diff {
        name: String,
        /// Snapshot id or global CID (default: the latest snapshot).
        from: Option<String>,
        /// Snapshot id, global CID or "working" (default: the working state).
        to: Option<String>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Bring a bucket (its files and its index) back to a snapshot.
    Restore {
        name: String,
        /// Snapshot id or global CID from `bucket snapshots`.
        #[arg(long, required_unless_present = "from_cid", conflicts_with = "from_cid")]
        snapshot: Option<String>,
        /// A global snapshot CID or any directory CID whose blocks are in the store.
        #[arg(long)]
        from_cid: Option<String>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Report what a CAR export would write (root, blocks, bytes, shards, files) without writing it.
    PrepareCar {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Every bucket, one plan each.
        #[arg(long)]
        all: bool,
        /// Plan shards of at most SIZE bytes (e.g. 100MiB, 4GB, 1048576).
        #[arg(long, value_parser = parse_size)]
        shard_size: Option<u64>,
        /// Plan CARv2 files (with an index).
        #[arg(long)]
        v2: bool,
        /// Print JSON for scripts (with every file).
        #[arg(long)]
        json: bool,
    },
    /// Write a bucket (or, with --all, the global snapshot) as CAR files.
    ExportCar {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Export the latest global snapshot (or --snapshot ID): every bucket in one DAG.
        #[arg(long)]
        all: bool,
        /// Output file, or - for stdout (the default when stdout is not a terminal).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Export the bucket as this snapshot recorded it.
        #[arg(long)]
        snapshot: Option<String>,
        /// Leave out every block the given snapshot already has: an incremental CAR.
        #[arg(long)]
        since: Option<String>,
        /// Split into CAR files of at most SIZE bytes, each with the root in its header.
        #[arg(long, value_parser = parse_size)]
        shard_size: Option<u64>,
        /// Write CARv2 with a sorted multihash index.
        #[arg(long)]
        v2: bool,
        /// Cut shards as a push to Storacha does (the JS client's rule: the root only in the last
        /// shard's header; --shard-size defaults to 127 MiB): the exact shard files a push sends.
        #[arg(long, conflicts_with = "v2")]
        storacha: bool,
        /// Hash every block against its CID before writing it (the store is trusted otherwise).
        #[arg(long)]
        verify: bool,
        /// Also print each CAR file's own CID (sha2-256 of the file, codec 0x0202, as `ipfs-car
        /// hash` and Storacha name shards); one more pass over the bytes.
        #[arg(long)]
        car_cid: bool,
        /// Replace existing output files (without it, an existing FILE is refused).
        #[arg(long)]
        force: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send a bucket version (or, with --all, the global snapshot) to a remote and confirm it
    /// is pinned there; only a confirmed push is recorded.
    Push(PushArgs),
    /// For each version of a bucket (all buckets by default): only local, or on which remotes.
    Status {
        name: Option<String>,
        /// Ask the remotes again for the state of each recorded version.
        #[arg(long)]
        refresh: bool,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite a bucket's Parquet index from the catalog.
    Reindex { name: String },
    /// Which buckets and paths hold this CID (file or directory, any multibase).
    FindCid {
        cid: String,
        #[command(flatten)]
        out: OutputArgs,
    },
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The root CID, in any multibase.
    pub cid: String,
    /// A remote's name, or the http(s) URL of a trustless gateway.
    #[arg(long, value_name = "REMOTE_OR_URL")]
    pub from: String,
    /// Mount the DAG in this bucket (as the bucket, or at --to inside it).
    #[arg(long)]
    pub bucket: Option<String>,
    /// With --bucket: a path inside the bucket to mount the DAG at.
    #[arg(long, requires = "bucket")]
    pub to: Option<String>,
    /// With --to: replace what is there already.
    #[arg(long, requires = "to")]
    pub replace: bool,
    /// Write the tree out to this new file or folder (the safe-name rules of `car unpack`).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<std::path::PathBuf>,
    /// Tries in all for a transient fault (refused or reset connection, 5xx, timeout).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub retries: u32,
    /// Seconds without a byte from the remote before a request is given up.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub timeout: u64,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub name: Option<String>,
    /// Push the latest global snapshot (or --snapshot ID): every bucket in one DAG.
    #[arg(long)]
    pub all: bool,
    /// The remote (a kubo remote, a pinning remote with a --kubo remote to hold the blocks, or
    /// a Storacha remote).
    #[arg(long, value_name = "REMOTE")]
    pub to: String,
    /// Push the bucket as this snapshot recorded it.
    #[arg(long)]
    pub snapshot: Option<String>,
    /// Send only the blocks the given snapshot does not have (an incremental CAR); the remote
    /// must hold that snapshot's blocks already.
    #[arg(long)]
    pub since: Option<String>,
    /// Hash every block against its CID before sending it.
    #[arg(long)]
    pub verify: bool,
    /// Tries in all for a transient fault (refused or reset connection, 5xx, timeout).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub retries: u32,
    /// Seconds to wait for the remote's answer to each call.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub timeout: u64,
    /// Storacha remotes: the largest CAR shard (e.g. 64MiB; default: the JS client's 127 MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub shard_size: Option<u64>,
    /// Pinning remotes: the pin's name (default: the bucket's name, or "ipfs-kit-all").
    #[arg(long)]
    pub pin_name: Option<String>,
    /// Pinning remotes: seconds to follow the request towards pinned or failed.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub pin_timeout: u64,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Add a remote by name (`kubo`, `pinning`, `gateway` or `storacha`).
    Add {
        name: String,
        #[command(subcommand)]
        kind: RemoteKind,
    },
    /// List the remotes (secrets masked).
    List {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Forget a remote (what was pushed to it stays recorded).
    Rm { name: String },
    /// Is the remote reachable, are the credentials good, which version?
    Check {
        name: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// What a Storacha remote's space holds: every upload (`upload/list`), root and shards.
    Ls {
        name: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RemoteKind {
    /// A node with the Kubo RPC API (Kubo, js-ipfs).
    Kubo {
        /// The RPC API's base URL, e.g. http://127.0.0.1:5001.
        #[arg(long, value_name = "URL")]
        api: String,
        /// A header sent with every call, as 'Name: value' (repeatable; values are secrets).
        #[arg(long, value_name = "HEADER")]
        header: Vec<String>,
    },
    /// A service with the IPFS Pinning Service API.
    Pinning {
        /// The API's base URL (the part before /pins).
        #[arg(long, value_name = "URL")]
        endpoint: String,
        /// The bearer token (kept in the home with mode 0600, never printed).
        #[arg(long)]
        token: String,
        /// The kubo remote that receives the blocks; its addresses go out as origins.
        #[arg(long, value_name = "REMOTE")]
        kubo: Option<String>,
    },
    /// A trustless HTTP gateway (read only).
    Gateway {
        #[arg(long, value_name = "URL")]
        url: String,
    },
    /// A Storacha space: pushed to through its upload service, pulled from through its gateway.
    Storacha(StorachaArgs),
}

/// `remote add NAME storacha`: what `storacha key create` and `storacha delegation create`
/// export, and where the service is.
#[derive(Debug, Args)]
pub struct StorachaArgs {
    /// The agent's private key, as `storacha key create` prints it (kept with mode 0600, never printed).
    #[arg(long)]
    pub key: String,
    /// The delegation to that key: the text `storacha delegation create --base64` prints, or the
    /// path of the CAR file it writes with -o.
    #[arg(long)]
    pub proof: String,
    #[arg(long, value_name = "URL", default_value = ipfs_kit_remotes::storacha::SERVICE_URL)]
    pub service_url: String,
    #[arg(long, value_name = "DID", default_value = ipfs_kit_remotes::storacha::SERVICE_DID)]
    pub service_did: String,
    /// Where receipts of background tasks are read (`<URL><task CID>`).
    #[arg(long, value_name = "URL", default_value = ipfs_kit_remotes::storacha::RECEIPTS_URL)]
    pub receipts_url: String,
    /// The trustless gateway `pull --from NAME` reads through.
    #[arg(long, value_name = "URL", default_value = ipfs_kit_remotes::storacha::GATEWAY)]
    pub gateway: String,
}

#[derive(Debug, Subcommand)]
pub enum CarCommand {
    /// Store every block of the CAR files (each checked against its CID); optionally mount the root.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Mount the CARs' root as this bucket (or, with --to, inside it).
        #[arg(long)]
        bucket: Option<String>,
        /// Path inside the bucket to mount the root at (creates the bucket if needed).
        #[arg(long, requires = "bucket")]
        to: Option<String>,
        /// Replace what is at --to already (without it an existing path is refused).
        #[arg(long, requires = "to")]
        replace: bool,
        /// Take a zero-length section as the end of the CAR (go-car's ZeroLengthSectionAsEOF, for CARs Lotus wrote).
        #[arg(long)]
        zero_length_as_eof: bool,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Check the header, every block's hash, and the roots; report whether the DAG is complete.
    Verify {
        file: PathBuf,
        /// Take a zero-length section as the end of the CAR (go-car's ZeroLengthSectionAsEOF, for CARs Lotus wrote).
        #[arg(long)]
        zero_length_as_eof: bool,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// List the files and folders under the root (with --verbose: every block, any codec).
    Ls {
        file: PathBuf,
        /// Which root, when the CAR names several.
        #[arg(long)]
        root: Option<String>,
        /// List every block in file order with its codec, multihash function and size.
        #[arg(short, long)]
        verbose: bool,
        /// Take a zero-length section as the end of the CAR (go-car's ZeroLengthSectionAsEOF, for CARs Lotus wrote).
        #[arg(long)]
        zero_length_as_eof: bool,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Print the roots named in the header (reads the header only).
    Roots {
        file: PathBuf,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Write the DAG under the root to DIR (which must not exist), refusing unsafe names.
    Unpack {
        file: PathBuf,
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: PathBuf,
        /// Which root, when the CAR names several.
        #[arg(long)]
        root: Option<String>,
        /// Take a zero-length section as the end of the CAR (go-car's ZeroLengthSectionAsEOF, for CARs Lotus wrote).
        #[arg(long)]
        zero_length_as_eof: bool,
    },
}

/// Parses 1048576, 64KiB, 100MiB, 4GiB (binary), 100MB, 4GB (decimal), 10M, 1G (binary).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("{text:?} is not a size (e.g. 100MiB)"))?;
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(format!("{text:?}: unknown unit (use B, KiB, MiB, GiB, KB, MB or GB)")),
    };
    n.checked_mul(scale).filter(|&v| v > 0).ok_or_else(|| format!("{text:?} is out of range"))
}

#[derive(Debug, Subcommand)]
pub enum SnapshotsCommand {
    /// Delete all but the newest N snapshot files; their blocks go at the next `ipfs-kit gc`.
    Prune {
        /// How many of the newest snapshots to keep.
        #[arg(long, value_name = "N")]
        keep: usize,
        /// Needed with --keep 0, which deletes the whole history.
        #[arg(long)]
        force: bool,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// Output options shared by commands that print CIDs.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
    /// Multibase for printed CIDs (default: base32 for CIDv1, Qm… for CIDv0).
    #[arg(long, value_name = "BASE", value_parser = CidBase::parse)]
    pub cid_base: Option<CidBase>,
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
    #[arg(long, value_name = "BASE", value_parser = CidBase::parse)]
    pub cid_base: Option<CidBase>,
    /// Files, directories or symlinks to hash.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; port 0 picks a free one. Anything but loopback needs --public.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// Serve only this bucket, its snapshots and the blocks they reach (repeatable); without
    /// it the whole home is served.
    #[arg(long = "bucket", value_name = "NAME")]
    pub buckets: Vec<String>,
    /// Allow a --listen address other than loopback; only the --bucket buckets are served.
    #[arg(long)]
    pub public: bool,
    /// Print one line per request on stderr.
    #[arg(long)]
    pub log: bool,
    /// Seconds a request's head may take to arrive before the connection is dropped.
    #[arg(long, default_value_t = 10, value_name = "SECS", hide = true,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Also serve the buckets over S3 (boto3, the aws CLI, rclone), with the keys of `s3 key
    /// create`. This makes the server a writer.
    #[arg(long)]
    pub s3: bool,
    /// The S3 endpoint's address; port 0 picks a free one. Anything but loopback needs --public.
    #[arg(long, default_value = "127.0.0.1:9000", value_name = "ADDR:PORT", requires = "s3")]
    pub s3_listen: std::net::SocketAddr,
    /// Large S3 uploads (over 1 MiB) imported at once; more wait (and get SlowDown after 30 s).
    #[arg(long, default_value_t = 2, value_name = "N", requires = "s3",
          value_parser = clap::value_parser!(u64).range(1..=64))]
    pub s3_max_uploads: u64,
}

#[derive(Debug, Subcommand)]
pub enum S3Command {
    /// Access keys.
    #[command(subcommand)]
    Key(S3KeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum S3KeyCommand {
    /// Create an access key; its secret is shown this once and never again.
    Create {
        /// Reads only: every write is refused.
        #[arg(long)]
        read_only: bool,
        /// Reach only this bucket (repeatable); without it the key reaches every bucket.
        #[arg(long = "bucket", value_name = "NAME")]
        buckets: Vec<String>,
        /// Print JSON for scripts (`access_key_id`, `secret_access_key`, …).
        #[arg(long)]
        json: bool,
    },
    /// List the access keys (never their secrets).
    List {
        /// Print JSON for scripts, one object per line.
        #[arg(long)]
        json: bool,
    },
    /// Remove an access key.
    Rm {
        /// The access key id.
        id: String,
    },
}
