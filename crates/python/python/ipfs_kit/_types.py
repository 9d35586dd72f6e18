"""The small records the API returns. Plain dataclasses: compare, print and pickle them as usual."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple


@dataclass(frozen=True)
class FileEntry:
    """One entry of a bucket, as `ipfs-kit bucket files --json` shows it."""

    path: str
    """``a/b/c`` below the bucket root."""
    type: str
    """``file``, ``directory`` or ``symlink``."""
    cid: str
    size: int
    """File bytes (0 for directories and symlinks)."""
    dag_size: int
    """Cumulative DAG size (the parent link's Tsize)."""
    mtime: int
    mode: int
    content_hash: Optional[str]
    """SHA-256 of a file's bytes, in hex."""
    added_at: str
    version: int
    """The bucket version in which the entry last changed."""


@dataclass(frozen=True)
class BucketInfo:
    name: str
    root: str
    profile: str
    version: int
    files: int
    total_size: int
    dag_size: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Added:
    """What `Bucket.add` did."""

    root: str
    """The bucket's new root CID."""
    added: List[Tuple[str, str]]
    """(path in the bucket, CID) of each added path."""
    files: int
    bytes: int
    new_blocks: int


@dataclass(frozen=True)
class Snapshot:
    """One record of the snapshot manifest."""

    id: str
    sequence: int
    created_at: str
    message: Optional[str]
    global_hash: str
    """The CID of the global snapshot DAG: every bucket's root and index."""
    parent: Optional[str]
    total_files: int
    total_size: int
    buckets: Dict[str, str]
    """Bucket name -> root CID in this snapshot."""
    created: bool = True
    """False when `Home.snapshot` found nothing changed and returned the latest one."""


@dataclass(frozen=True)
class Change:
    path: str
    change: str
    """``added``, ``removed`` or ``modified``."""
    type: str
    old: Optional[str]
    new: Optional[str]


@dataclass(frozen=True)
class Diff:
    from_: str
    """The label of the old side: a snapshot id, a CID or ``working``."""
    to: str
    changes: List[Change] = field(default_factory=list)

    @property
    def added(self) -> List[Change]:
        return [c for c in self.changes if c.change == "added"]

    @property
    def removed(self) -> List[Change]:
        return [c for c in self.changes if c.change == "removed"]

    @property
    def modified(self) -> List[Change]:
        return [c for c in self.changes if c.change == "modified"]


@dataclass(frozen=True)
class Restored:
    root: str
    files: int
    from_: str


@dataclass(frozen=True)
class CarShard:
    path: str
    blocks: int
    bytes: int
    car_cid: Optional[str]
    """The file's own CID, when `export_car(car_cid=True)` asked for it."""


@dataclass(frozen=True)
class CarExport:
    root: str
    blocks: int
    block_bytes: int
    shards: List[CarShard]


@dataclass(frozen=True)
class CarImport:
    roots: List[str]
    blocks: int
    bytes: int
    new_blocks: int
    new_bytes: int
    bucket: Optional[str]
    path: Optional[str]


@dataclass(frozen=True)
class CarReport:
    """What `ipfs_kit.car.verify` found: every block matched its CID (or it raised)."""

    version: int
    roots: List[str]
    blocks: int
    block_bytes: int
    complete: bool
    """Every block the roots link to is in the CAR."""
    missing_blocks: int
    unread_links: int
    """Blocks of codecs whose links ipfs-kit does not read (completeness unknown)."""


@dataclass(frozen=True)
class Pushed:
    bucket: Optional[str]
    snapshot: Optional[str]
    root: str
    remote: str
    kind: str
    """``kubo``, ``pinning`` or ``storacha``."""
    status: str
    seen: str
    request_id: Optional[str]
    blocks: Optional[int]
    block_bytes: Optional[int]
    shards: Optional[List[str]]


@dataclass(frozen=True)
class Pulled:
    root: str
    had_all: bool
    blocks: int
    bytes: int
    new_blocks: int
    bucket: Optional[str]
    path: Optional[str]


@dataclass(frozen=True)
class Found:
    bucket: str
    path: str
    type: str
