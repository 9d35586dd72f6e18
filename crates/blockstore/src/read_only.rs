//! Reading a home on read-only media (a backup on a read-only mount, a folder the user may not
//! write).
//!
//! SQLite cannot open a WAL database read-write there, and a plain read-only open still wants
//! to create the `-shm` file next to it. When no `-wal` file holds unapplied commits, the
//! database is opened `immutable`: SQLite then takes no locks and needs no `-shm`, which is
//! right because nothing can write to read-only media. With a non-empty `-wal`, an ordinary
//! read-only open is tried, which SQLite allows when the `-shm` is there too.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

/// Whether this process may create and change files in `dir` (false on a read-only mount, or
/// in a folder it has no write permission for).
pub fn writable(dir: &Path) -> bool {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
}

/// Opens an existing SQLite database for reading only, without creating or changing any file.
pub fn open_sqlite_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let wal = wal_path(path);
    let pending = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    let mut uri = String::from("file:");
    uri.push_str(&uri_escape(&path.to_string_lossy()));
    uri.push_str(if pending { "?mode=ro" } else { "?mode=ro&immutable=1" });
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = Connection::open_with_flags(uri, flags)?;
    db.busy_timeout(std::time::Duration::from_secs(60))?;
    Ok(db)
}

fn wal_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

/// Percent-escapes what a SQLite URI path cannot hold literally.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'%' | b'?' | b'#' | b'&' | b'=' | b'+' | b' ' | 0..=0x1f | 0x7f.. => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_uri_metacharacters_and_reads_a_database_through_them() {
        let dir = std::env::temp_dir().join(format!("ikro-{}", std::process::id()));
        let odd = dir.join("a ?#%&= é");
        std::fs::create_dir_all(&odd).unwrap();
        let path = odd.join("db.sqlite");
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42);").unwrap();
        }
        let db = open_sqlite_read_only(&path).unwrap();
        let x: i64 = db.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 42);
        assert!(db.execute("INSERT INTO t VALUES (1)", []).is_err(), "a read-only open refuses writes");
        assert!(open_sqlite_read_only(&odd.join("missing.sqlite")).is_err(), "nothing is created");
        assert!(!odd.join("missing.sqlite").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
