"""`Home` (an ipfs-kit home: buckets, snapshots, remotes) and `Bucket` (one bucket in it)."""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Union

from . import _native
from ._types import (
    Added,
    BucketInfo,
    CarExport,
    CarImport,
    CarShard,
    Change,
    Diff,
    FileEntry,
    Found,
    Pulled,
    Pushed,
    Restored,
    Snapshot,
)

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow

PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_PROFILE = "unixfs-v1-2025"

# Rows fetched from the catalog per call while iterating `Bucket.files()`: memory stays
# bounded for any bucket, and each call releases the GIL.
_FILES_PAGE = 10_000


def _snapshot(d: dict) -> Snapshot:
    return Snapshot(**d)


class Home:
    """An ipfs-kit home (``~/.ipfs_kit`` by default, or ``$IPFS_KIT_HOME``, or `path`).

    Writes take the home's writer lock as the CLI does: a call waits up to `lock_timeout`
    seconds for another writer (the CLI, another process, another thread) and then raises
    `Locked`. Reads take no lock. Every call opens the home afresh, so a `Home` may be shared
    between threads, and long calls release the GIL.
    """

    def __init__(self, path: Optional[PathLike] = None, *, lock_timeout: float = 10.0) -> None:
        self._native = _native.Home(None if path is None else os.fspath(path), float(lock_timeout))

    @property
    def path(self) -> str:
        """The home's folder."""
        return self._native.path

    def __repr__(self) -> str:
        return f"Home({self.path!r})"

    def buckets(self) -> List[BucketInfo]:
        """Every bucket, by name."""
        return [BucketInfo(*t) for t in self._native.buckets()]

    def bucket(self, name: str) -> "Bucket":
        """The bucket `name`; raises `NotFound` if there is none."""
        self._native.info(name)
        return Bucket(self, name)

    def create_bucket(self, name: str, profile: str = DEFAULT_PROFILE) -> "Bucket":
        """Creates an empty bucket whose files will be imported with `profile`
        (``unixfs-v1-2025`` or ``unixfs-v0-2015``)."""
        self._native.create(name, profile)
        return Bucket(self, name)

    def remove_bucket(self, name: str) -> None:
        """Removes a bucket; its blocks stay until `ipfs-kit gc`."""
        self._native.remove(name)

    def snapshot(self, message: Optional[str] = None, buckets: Optional[Sequence[str]] = None) -> Snapshot:
        """Records every bucket (or those named) in a new snapshot of the manifest. When nothing
        changed since the latest snapshot, that one is returned with ``created=False``."""
        return _snapshot(self._native.snapshot(list(buckets or []), message))

    def snapshots(self) -> List[Snapshot]:
        """Every snapshot, oldest first."""
        return [_snapshot(d) for d in self._native.snapshots()]

    def import_car(
        self,
        path: Union[PathLike, Sequence[PathLike]],
        bucket: Optional[str] = None,
        *,
        to: Optional[str] = None,
        replace: bool = False,
    ) -> CarImport:
        """Imports the blocks of one CAR (or the shards of one DAG), every block checked, and
        mounts the root as `bucket` (or at `to` inside it) when given."""
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        d = self._native.import_car([os.fspath(p) for p in paths], bucket, to, replace)
        return CarImport(**d)

    def pull(
        self,
        cid: str,
        remote: str,
        bucket: Optional[str] = None,
        *,
        to: Optional[str] = None,
        replace: bool = False,
        retries: int = 5,
        timeout: float = 300.0,
    ) -> Pulled:
        """Fetches the DAG under `cid` from `remote` (a remote's name or a trustless gateway
        URL), every block verified before it is stored, and mounts it as `bucket` (or at `to`
        inside it) when given."""
        d = self._native.pull(cid, remote, bucket, to, replace, retries, float(timeout))
        return Pulled(**d)

    def find_cid(self, cid: str) -> List[Found]:
        """Which buckets and paths hold `cid` (any multibase)."""
        return [Found(*t) for t in self._native.find_cid(cid)]


class Bucket:
    """One bucket of a `Home`. Methods mirror `ipfs-kit bucket …`."""

    def __init__(self, home: Home, name: str) -> None:
        self.home = home
        self.name = name

    def __repr__(self) -> str:
        return f"Bucket({self.name!r}, home={self.home.path!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bucket) and (other.home.path, other.name) == (self.home.path, self.name)

    def __hash__(self) -> int:
        return hash((self.home.path, self.name))

    @property
    def _n(self) -> "_native.Home":
        return self.home._native

    def info(self) -> BucketInfo:
        return BucketInfo(*self._n.info(self.name))

    @property
    def root(self) -> str:
        """The bucket's current root CID."""
        return self.info().root

    def add(self, path: Union[PathLike, Sequence[PathLike]], to: Optional[str] = None, *, hidden: bool = False) -> Added:
        """Imports a file or folder (or several) into the bucket, at `to` (a folder inside it) or
        at its top. Dot-files are skipped unless `hidden`."""
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        d = self._n.add(self.name, [os.fspath(p) for p in paths], to, hidden)
        return Added(**d)

    def files(self, prefix: Optional[str] = None) -> Iterator[FileEntry]:
        """Every file and symlink under `prefix`, by path (as `ipfs-kit bucket files`), read from
        the catalog a page at a time."""
        after = ""
        while True:
            page = self._n.files(self.name, prefix or "", after, _FILES_PAGE)
            for t in page:
                yield FileEntry(*t)
            if len(page) < _FILES_PAGE:
                return
            after = page[-1][0]

    def stat(self, path: str) -> FileEntry:
        """The entry at `path`; raises `NotFound`."""
        return FileEntry(*self._n.entry(self.name, path))

    def open(self, path: str, *, buffer_size: int = 1 << 20) -> io.BufferedReader:
        """The file at `path` as a read-only binary file object. It streams from the block store
        and checks every block against its CID as it reads (a bad block raises `Corrupt`); it
        can seek."""
        raw = _RawFile(self._n.open(self.name, path))
        return io.BufferedReader(raw, buffer_size=buffer_size)

    def cat(self, path: str) -> bytes:
        """The bytes of the file at `path`, every block checked."""
        return self._n.cat(self.name, path)

    def get(self, path: str, out: PathLike) -> int:
        """Writes the file, folder or symlink at `path` to `out`, which must not exist. Returns the
        bytes written."""
        return self._n.get(self.name, path, os.fspath(out))

    def rm(self, path: str, *, recursive: bool = False) -> str:
        """Removes a file or symlink (a folder only with `recursive`); returns the new root."""
        return self._n.rm(self.name, path, recursive)

    def mv(self, src: str, dst: str) -> str:
        """Moves or renames an entry inside the bucket; returns the new root."""
        return self._n.mv(self.name, src, dst)

    def log(self) -> List[dict]:
        """The bucket's versions as the snapshots recorded them, newest first."""
        return self._n.log(self.name)

    def diff(self, a: Optional[str] = None, b: Optional[str] = None) -> Diff:
        """What changed from `a` to `b` (snapshot ids, CIDs or ``"working"``; by default the
        latest snapshot against the working state)."""
        d = self._n.diff(self.name, a, b)
        return Diff(from_=d["from"], to=d["to"], changes=[Change(*c) for c in d["changes"]])

    def restore(self, snapshot: Optional[str] = None, *, cid: Optional[str] = None) -> Restored:
        """Sets the bucket to the state a snapshot recorded (the latest one by default), or to the
        directory `cid` whose blocks are in the home."""
        d = self._n.restore(self.name, snapshot, cid)
        return Restored(root=d["root"], files=d["files"], from_=d["from"])

    def export_car(
        self,
        out: PathLike,
        *,
        since: Optional[str] = None,
        snapshot: Optional[str] = None,
        shard_size: Optional[int] = None,
        v2: bool = False,
        verify: bool = False,
        car_cid: bool = False,
        force: bool = False,
    ) -> CarExport:
        """Writes the bucket's DAG as a CAR to `out` (``<stem>-0001.car``, ``<stem>-0002.car``…
        beside it when `shard_size` splits it). `since` leaves out the blocks that snapshot has.
        The files appear whole or not at all; an existing file is refused unless `force`.
        `verify` checks every block against its CID as it is written; `car_cid` also gives each
        file's own CID (``bagbaiera…``, as ``ipfs-car hash``), at the cost of hashing it again."""
        d = self._n.export_car(self.name, os.fspath(out), snapshot, since, shard_size, v2, verify, car_cid, force)
        return CarExport(root=d["root"], blocks=d["blocks"], block_bytes=d["block_bytes"],
                         shards=[CarShard(*s) for s in d["shards"]])

    def push(
        self,
        remote: str,
        *,
        snapshot: Optional[str] = None,
        since: Optional[str] = None,
        verify: bool = False,
        retries: int = 5,
        timeout: float = 300.0,
        pin_name: Optional[str] = None,
        pin_timeout: float = 600.0,
        shard_size: Optional[int] = None,
    ) -> Pushed:
        """Pushes the bucket to `remote` (a kubo, pinning or storacha remote added with
        `ipfs-kit remote add`); recorded only once the remote confirmed it."""
        d = self._n.push(self.name, remote, snapshot, since, verify, retries, float(timeout), pin_name,
                         float(pin_timeout), shard_size)
        return Pushed(**d)

    @property
    def index_path(self) -> str:
        """The bucket's Parquet index (``vfs/buckets/<bucket>_vfs.parquet``), rewritten first if
        a crash left it behind the catalog."""
        return self._n.index_path(self.name)

    def to_arrow(self) -> "pyarrow.Table":
        """The Parquet index as a `pyarrow.Table` (memory-mapped; needs pyarrow)."""
        try:
            import pyarrow.parquet as pq
        except ImportError as e:  # pragma: no cover
            raise ImportError("Bucket.to_arrow needs pyarrow: pip install 'ipfs-kit[arrow]'") from e
        return pq.read_table(self.index_path, memory_map=True)


class _RawFile(io.RawIOBase):
    """The raw stream under `Bucket.open`: positioned reads of a verified file."""

    def __init__(self, reader: "_native.Reader") -> None:
        super().__init__()
        self._r = reader
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        data = self._r.read(self._pos, len(view))
        n = len(data)
        view[:n] = data
        self._pos += n
        return n

    def readall(self) -> bytes:
        # One native read for the rest: `RawIOBase.readall` would go 8 KiB at a time, and each
        # read walks the DAG to its offset and checks the whole leaf it lands in.
        data = self._r.read(self._pos, max(0, self._r.size - self._pos))
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._r.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    @property
    def name(self) -> str:
        return self._r.name
