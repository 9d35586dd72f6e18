//! Importing a path from the filesystem, as `ipfs add -r` does.
//!
//! - Symlinks become UnixFS symlink nodes and are never followed, the top-level path included.
//! - Names starting with `.` below the top level are skipped unless `hidden` is set.
//! - Empty files and directories are kept, unless the profile drops empty directories.
//! - Names must be UTF-8: a UnixFS link name is a string, and silently re-encoding would give a
//!   CID that no other implementation reproduces.
//!
//! Children are visited in byte order of their names, so blocks reach the sink in a stable order.

use std::fs::{self, File};
use std::path::Path;

use crate::block::BlockSink;
use crate::dir::{DirEntry, build_directory, build_symlink};
use crate::error::ImportError;
use crate::file::{Node, ReadBuffers, import_file_with};
use crate::profile::Profile;

/// Import options that do not change CIDs, only which files are taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Take names starting with `.` too.
    pub hidden: bool,
}

/// What kind of thing a path was imported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    Symlink,
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

/// Imports `path` (file, directory or symlink) into `sink` and returns its root.
pub fn import_path(
    path: &Path,
    profile: &Profile,
    options: &ImportOptions,
    sink: &mut dyn BlockSink,
) -> Result<Imported, ImportError> {
    let mut walker = Walker { profile, options, sink, bytes: 0, files: 0, scratch: ReadBuffers::default() };
    let (node, kind) = walker.import_any(path, true)?.expect("the top level is always kept");
    Ok(Imported { node, kind, bytes: walker.bytes, files: walker.files })
}

struct Walker<'a> {
    profile: &'a Profile,
    options: &'a ImportOptions,
    sink: &'a mut dyn BlockSink,
    bytes: u64,
    files: u64,
    /// Read buffers shared by every file of the import.
    scratch: ReadBuffers,
}

impl Walker<'_> {
    /// Imports one path. `None` means an empty directory that the profile drops.
    fn import_any(&mut self, path: &Path, top: bool) -> Result<Option<(Node, EntryKind)>, ImportError> {
        let meta = fs::symlink_metadata(path).map_err(|source| io_error(path, source))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = fs::read_link(path).map_err(|source| io_error(path, source))?;
            let node = build_symlink(target.as_os_str().as_encoded_bytes(), self.profile, self.sink)?;
            Ok(Some((node, EntryKind::Symlink)))
        } else if kind.is_file() {
            let mut file = File::open(path).map_err(|source| io_error(path, source))?;
            let node = import_file_with(&mut file, path, Some(meta.len()), self.profile, self.sink, &mut self.scratch)?;
            if node.filesize != meta.len() {
                return Err(ImportError::FileChanged {
                    path: path.into(),
                    expected: meta.len(),
                    actual: node.filesize,
                });
            }
            self.bytes += node.filesize;
            self.files += 1;
            Ok(Some((node, EntryKind::File)))
        } else if kind.is_dir() {
            let node = self.import_dir(path, top)?;
            Ok(node.map(|n| (n, EntryKind::Directory)))
        } else {
            Err(ImportError::UnsupportedFileType { path: path.into() })
        }
    }

    fn import_dir(&mut self, path: &Path, top: bool) -> Result<Option<Node>, ImportError> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path).map_err(|source| io_error(path, source))? {
            let entry = entry.map_err(|source| io_error(path, source))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(ImportError::NonUtf8Name { path: entry.path() });
            };
            if name.starts_with('.') && !self.options.hidden {
                continue;
            }
            names.push(name.to_owned());
        }
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let mut entries = Vec::with_capacity(names.len());
        for name in names {
            let child = path.join(&name);
            if let Some((node, _)) = self.import_any(&child, false)? {
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
