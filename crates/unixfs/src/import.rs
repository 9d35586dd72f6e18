//! Importing a path from the filesystem, as `ipfs add -r` does.
//!
//! - Symlinks become UnixFS symlink nodes and are never followed, the top-level path included.
//! - Names starting with `.` below the top level are skipped unless `hidden` is set.
//! - Empty files and directories are kept, unless the profile drops empty directories.
//! - Names must be UTF-8: a UnixFS link name is a string, and silently re-encoding would give a
//!   CID that no other implementation reproduces.
//! - A file whose length after reading differs from its `stat` changed while being read, and
//!   the import fails rather than record a CID for bytes that never existed together.
//!
//! Children are visited in byte order of their names, so blocks reach the sink in a stable order.
//! An `ImportObserver` hears about every entry as it is finished, which is how a bucket learns
//! the per-file rows of its index without walking the DAG again.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::block::BlockSink;
use crate::dir::{DirEntry, build_directory, build_symlink};
use crate::error::ImportError;
use crate::file::{FileImporter, Node};
use crate::profile::Profile;

/// Import options that do not change CIDs, only which files are taken and what is reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Take names starting with `.` too.
    pub hidden: bool,
    /// Compute the SHA-256 of every file's bytes and report it to the observer.
    pub content_digest: bool,
    /// Refuse names that break `name::check_name` (control characters, over 255 bytes), as
    /// buckets do; `hash` takes any name Kubo would.
    pub strict_names: bool,
}

/// What kind of thing a path was imported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    Symlink,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Directory => "directory",
            EntryKind::Symlink => "symlink",
        }
    }
}

/// The root of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub node: Node,
    pub kind: EntryKind,
    /// Bytes of file content taken, over all files.
    pub bytes: u64,
    /// Files taken (symlinks and directories not counted).
    pub files: u64,
}

/// One finished entry of an import.
#[derive(Debug, Clone, Copy)]
pub struct ImportedEntry<'a> {
    /// `/`-separated path below the imported root; empty for the root itself.
    pub rel_path: &'a str,
    pub kind: EntryKind,
    pub node: Node,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Unix permission bits.
    pub mode: u32,
    /// SHA-256 of a file's bytes, when `content_digest` was asked for.
    pub sha256: Option<[u8; 32]>,
}

/// Hears about an import as it goes.
pub trait ImportObserver {
    /// An entry is finished (children before their directory).
    fn entry(&mut self, _entry: &ImportedEntry<'_>) {}
    /// A file is about to be read.
    fn start_file(&mut self, _path: &Path, _len: u64) {}
    /// More bytes of file content were imported.
    fn progress(&mut self, _bytes: u64) {}
}

/// An observer that ignores everything.
pub struct Quiet;

impl ImportObserver for Quiet {}

/// Imports `path` (file, directory or symlink) into `sink` and returns its root.
pub fn import_path(
    path: &Path,
    profile: &Profile,
    options: &ImportOptions,
    sink: &mut dyn BlockSink,
) -> Result<Imported, ImportError> {
    import_path_observed(path, profile, options, sink, &mut Quiet)
}

/// `import_path`, telling `observer` about every entry and about progress.
pub fn import_path_observed(
    path: &Path,
    profile: &Profile,
    options: &ImportOptions,
    sink: &mut dyn BlockSink,
    observer: &mut dyn ImportObserver,
) -> Result<Imported, ImportError> {
    let mut files = FileImporter::new(profile);
    files.content_digest = options.content_digest;
    let mut walker = Walker { profile, options, sink, observer, files, bytes: 0, file_count: 0 };
    let (node, kind) = walker.import_any(path, "", true)?.expect("the top level is always kept");
    Ok(Imported { node, kind, bytes: walker.bytes, files: walker.file_count })
}

struct Walker<'a> {
    profile: &'a Profile,
    options: &'a ImportOptions,
    sink: &'a mut dyn BlockSink,
    observer: &'a mut dyn ImportObserver,
    files: FileImporter<'a>,
    bytes: u64,
    file_count: u64,
}

impl Walker<'_> {
    /// Imports one path. `None` means an empty directory that the profile drops.
    fn import_any(&mut self, path: &Path, rel: &str, top: bool) -> Result<Option<(Node, EntryKind)>, ImportError> {
        let meta = fs::symlink_metadata(path).map_err(|source| io_error(path, source))?;
        let kind = meta.file_type();
        let (node, kind, sha256) = if kind.is_symlink() {
            let target = fs::read_link(path).map_err(|source| io_error(path, source))?;
            let node = build_symlink(target.as_os_str().as_encoded_bytes(), self.profile, self.sink)?;
            (node, EntryKind::Symlink, None)
        } else if kind.is_file() {
            let mut file = File::open(path).map_err(|source| io_error(path, source))?;
            self.observer.start_file(path, meta.len());
            let observer = &mut *self.observer;
            let imported =
                self.files.import(&mut file, path, Some(meta.len()), self.sink, &mut |n| observer.progress(n))?;
            if imported.node.filesize != meta.len() {
                let (expected, actual) = (meta.len(), imported.node.filesize);
                return Err(ImportError::FileChanged { path: path.into(), expected, actual });
            }
            self.bytes += imported.node.filesize;
            self.file_count += 1;
            (imported.node, EntryKind::File, imported.sha256)
        } else if kind.is_dir() {
            match self.import_dir(path, rel, top)? {
                Some(node) => (node, EntryKind::Directory, None),
                None => return Ok(None),
            }
        } else {
            return Err(ImportError::UnsupportedFileType { path: path.into() });
        };
        self.observer.entry(&ImportedEntry {
            rel_path: rel,
            kind,
            node,
            mtime: meta.mtime(),
            mode: meta.mode() & 0o7777,
            sha256,
        });
        Ok(Some((node, kind)))
    }

    fn import_dir(&mut self, path: &Path, rel: &str, top: bool) -> Result<Option<Node>, ImportError> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path).map_err(|source| io_error(path, source))? {
            let entry = entry.map_err(|source| io_error(path, source))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(ImportError::NonUtf8Name { path: entry.path() });
            };
            if self.options.strict_names {
                crate::name::check_name(name).map_err(|reason| ImportError::BadName { path: entry.path(), reason })?;
            }
            if name.starts_with('.') && !self.options.hidden {
                continue;
            }
            names.push(name.to_owned());
        }
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let mut entries = Vec::with_capacity(names.len());
        for name in names {
            let child_rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if let Some((node, _)) = self.import_any(&path.join(&name), &child_rel, false)? {
                entries.push(DirEntry { name, node });
            }
        }
        if entries.is_empty() && !self.profile.keep_empty_dirs && !top {
            return Ok(None);
        }
        build_directory(entries, self.profile, self.sink).map(Some)
    }
}

fn io_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Io { path: path.into(), source }
}
