//! Progress lines: for imports (`Progress`: bytes, files, rate and ETA) and for every other
//! long operation (`Ticker`: bytes and blocks through a `Meter`, rate, ETA when the total is
//! known). Redrawn at most ten times a second on stderr, and only when stderr is a terminal (a
//! script's stderr stays clean); `-q` silences both. Nothing goes to stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ipfs_kit_unixfs::{EntryKind, ImportObserver, ImportedEntry, Meter};

pub struct Progress {
    active: bool,
    total_bytes: u64,
    total_files: u64,
    bytes: u64,
    files: u64,
    started: Instant,
    last_draw: Option<Instant>,
}

impl Progress {
    /// A bar over `paths` if stderr is a terminal and not `quiet`; otherwise a silent observer.
    pub fn for_stderr(paths: &[PathBuf], hidden: bool, quiet: bool) -> Self {
        let active = !quiet && std::io::stderr().is_terminal();
        let (mut total_bytes, mut total_files) = (0, 0);
        if active {
            for p in paths {
                count(p, hidden, true, &mut total_bytes, &mut total_files);
            }
        }
        Progress { active, total_bytes, total_files, bytes: 0, files: 0, started: Instant::now(), last_draw: None }
    }

    fn draw(&mut self, force: bool) {
        let now = Instant::now();
        if !self.active || (!force && self.last_draw.is_some_and(|t| now - t < Duration::from_millis(100))) {
            return;
        }
        self.last_draw = Some(now);
        let secs = (now - self.started).as_secs_f64().max(1e-3);
        let rate = self.bytes as f64 / secs;
        let eta = if rate > 0.0 { (self.total_bytes.saturating_sub(self.bytes)) as f64 / rate } else { 0.0 };
        let line = format!(
            "\r{} / {}  {} / {} files  {}/s  ETA {:.0}s\x1b[K",
            human(self.bytes),
            human(self.total_bytes),
            self.files,
            self.total_files,
            human(rate as u64),
            eta
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }

    /// Clears the line.
    pub fn finish(&mut self) {
        if self.active && self.last_draw.is_some() {
            self.draw(true);
            let _ = std::io::stderr().write_all(b"\n");
        }
    }
}

impl ImportObserver for Progress {
    fn entry(&mut self, e: &ImportedEntry<'_>) {
        if e.kind == EntryKind::File {
            self.files += 1;
            self.draw(false);
        }
    }

    fn progress(&mut self, bytes: u64) {
        self.bytes += bytes;
        self.draw(false);
    }
}

/// A progress line drawn by a thread of its own from a `Meter` the work advances, so the work
/// needs no callbacks. Drawn at once, every 100 ms, and a last time when dropped.
pub struct Ticker {
    stop: Arc<AtomicBool>,
    drawer: Option<JoinHandle<()>>,
}

impl Ticker {
    /// `what` names the work ("exporting", "verifying"); `total_bytes`, when known, gives the
    /// ETA. Inactive (no thread) unless stderr is a terminal and not `quiet`.
    pub fn start(what: &'static str, total_bytes: Option<u64>, quiet: bool, meter: Arc<Meter>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() {
            return Ticker { stop, drawer: None };
        }
        let done = stop.clone();
        // Counted from now, not from when the thread first runs: a short operation may be
        // over by then.
        let (started, (base_bytes, base_blocks)) = (Instant::now(), meter.sample());
        let drawer = std::thread::spawn(move || {
            loop {
                let finished = done.load(Ordering::Relaxed);
                let (bytes, blocks) = meter.sample();
                let (bytes, blocks) = (bytes - base_bytes, blocks - base_blocks);
                let line = ticker_line(what, bytes, blocks, total_bytes, started.elapsed());
                let _ = std::io::stderr()
                    .write_all(format!("\r{line}\x1b[K{}", if finished { "\n" } else { "" }).as_bytes());
                if finished {
                    return;
                }
                std::thread::park_timeout(Duration::from_millis(100));
            }
        });
        Ticker { stop, drawer: Some(drawer) }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(drawer) = self.drawer.take() {
            drawer.thread().unpark();
            let _ = drawer.join();
        }
    }
}

fn ticker_line(what: &str, bytes: u64, blocks: u64, total: Option<u64>, elapsed: Duration) -> String {
    let rate = bytes as f64 / elapsed.as_secs_f64().max(1e-3);
    match total {
        Some(total) => {
            let eta = if rate > 0.0 { total.saturating_sub(bytes) as f64 / rate } else { 0.0 };
            format!(
                "{what}: {} / {}  {blocks} blocks  {}/s  ETA {eta:.0}s",
                human(bytes.min(total)),
                human(total),
                human(rate as u64)
            )
        }
        None => format!("{what}: {}  {blocks} blocks  {}/s", human(bytes), human(rate as u64)),
    }
}

fn count(path: &Path, hidden: bool, top: bool, bytes: &mut u64, files: &mut u64) {
    let Ok(meta) = path.symlink_metadata() else { return };
    let hidden_name = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
    if !top && hidden_name && !hidden {
        return;
    }
    if meta.is_file() {
        *bytes += meta.len();
        *files += 1;
    } else if meta.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            count(&entry.path(), hidden, false, bytes, files);
        }
    }
}

fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}
