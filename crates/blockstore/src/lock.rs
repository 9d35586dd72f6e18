//! The writer lock: one process at a time commits to a home.
//!
//! The lock is an OS file lock (`File::try_lock`) on `lock`, plus a record in that file of who
//! holds it: pid, host, command and start time. The OS releases the file lock when the holder
//! dies, even by `kill -9`, so a lock file whose record names a process but whose file lock is
//! free is stale by construction; the next writer takes it over and says so.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::StoreError;

/// Who holds (or last held) the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    pub command: String,
    /// Seconds since the Unix epoch.
    pub since: u64,
}

impl LockHolder {
    fn current(command: &str) -> Self {
        LockHolder {
            pid: std::process::id(),
            host: hostname(),
            command: command.to_owned(),
            since: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        }
    }

    fn encode(&self) -> String {
        format!("pid={}\nhost={}\nsince={}\ncommand={}\n", self.pid, self.host, self.since, self.command)
    }

    fn decode(text: &str) -> Option<Self> {
        let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')).map(str::to_owned);
        Some(LockHolder {
            pid: field("pid")?.parse().ok()?,
            host: field("host").unwrap_or_default(),
            since: field("since").and_then(|s| s.parse().ok()).unwrap_or(0),
            command: field("command").unwrap_or_default(),
        })
    }
}

impl LockHolder {
    /// A holder that has taken the OS lock but not written its record yet (or wrote garbage):
    /// we know someone holds it, not who.
    fn unknown() -> Self {
        LockHolder { pid: 0, host: String::new(), command: String::new(), since: 0 }
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pid == 0 {
            return write!(f, "another process (its lock record is not written yet)");
        }
        let since = crate::time::describe_instant(self.since);
        write!(f, "pid {} on {} ({}) since {since}", self.pid, self.host, self.command)
    }
}

/// What acquiring found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// Nobody holds the lock and no record is left.
    Free,
    /// A record is left by a process that no longer holds the lock.
    Stale(LockHolder),
    /// A live process holds the lock.
    Held(LockHolder),
}

/// A held writer lock; released on drop.
#[derive(Debug)]
pub struct WriterLock {
    file: File,
    /// The stale record this acquisition replaced, for the caller to report.
    pub replaced_stale: Option<LockHolder>,
}

impl WriterLock {
    /// Takes the lock, waiting up to `wait` for a live holder. `on_wait` is told once who is
    /// being waited for.
    pub fn acquire(
        path: &Path,
        command: &str,
        wait: Duration,
        on_wait: &mut dyn FnMut(&LockHolder),
    ) -> Result<WriterLock, StoreError> {
        let io = |source| StoreError::Io { path: path.to_owned(), source };
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(io)?;
        let deadline = Instant::now() + wait;
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = read_record(&mut file).unwrap_or_else(LockHolder::unknown);
                    if Instant::now() >= deadline {
                        return Err(StoreError::Locked { holder });
                    }
                    if !told {
                        on_wait(&holder);
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        // We hold the OS lock: any record still in the file was left by a dead holder.
        let replaced_stale = read_record(&mut file);
        let record = LockHolder::current(command).encode();
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(record.as_bytes()).map_err(io)?;
        Ok(WriterLock { file, replaced_stale })
    }

    /// Looks at the lock without taking it.
    pub fn inspect(path: &Path) -> Result<LockState, StoreError> {
        let io = |source| StoreError::Io { path: path.to_owned(), source };
        // Read-write where it can be (the same open a writer makes); read-only on read-only
        // media, where flock works on a read-only descriptor just as well.
        let opened = OpenOptions::new().read(true).write(true).open(path).or_else(|e| match e.kind() {
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => File::open(path),
            _ => Err(e),
        });
        let mut file = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LockState::Free),
            Err(e) => return Err(io(e)),
        };
        let record = read_record(&mut file);
        match file.try_lock() {
            Ok(()) => Ok(record.map_or(LockState::Free, LockState::Stale)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(LockState::Held(record.unwrap_or_else(LockHolder::unknown))),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // Clear the record first, so a crash between the two steps still leaves no live claim.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

fn read_record(file: &mut File) -> Option<LockHolder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    LockHolder::decode(&text)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_without_a_record_is_not_named_as_ourselves() {
        let dir = std::env::temp_dir().join(format!("ipfs-kit-lock-norecord-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lock");
        let holder = OpenOptions::new().write(true).create(true).truncate(true).open(&path).unwrap();
        holder.lock().unwrap();
        let err = WriterLock::acquire(&path, "second", Duration::from_millis(30), &mut |_| {}).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("another process") && !text.contains(&std::process::id().to_string()), "{text}");
        drop(holder);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn second_holder_in_process_sees_the_first() {
        let dir = std::env::temp_dir().join(format!("ipfs-kit-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lock");
        let first = WriterLock::acquire(&path, "first", Duration::ZERO, &mut |_| {}).unwrap();
        assert!(matches!(WriterLock::inspect(&path).unwrap(), LockState::Held(h) if h.command == "first"));
        let err = WriterLock::acquire(&path, "second", Duration::from_millis(50), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains(&format!("pid {}", std::process::id())), "{err}");
        drop(first);
        assert_eq!(WriterLock::inspect(&path).unwrap(), LockState::Free);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_left_record_without_a_holder_is_stale() {
        let dir = std::env::temp_dir().join(format!("ipfs-kit-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lock");
        std::fs::write(&path, "pid=999999\nhost=h\nsince=1\ncommand=crashed\n").unwrap();
        assert!(matches!(WriterLock::inspect(&path).unwrap(), LockState::Stale(h) if h.pid == 999999));
        let lock = WriterLock::acquire(&path, "next", Duration::ZERO, &mut |_| {}).unwrap();
        assert_eq!(lock.replaced_stale.as_ref().map(|h| h.pid), Some(999999));
        drop(lock);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
