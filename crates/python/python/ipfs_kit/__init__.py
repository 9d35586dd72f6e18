"""ipfs-kit from Python: content-addressed buckets with real IPFS CIDs, CAR export and remotes.

    import ipfs_kit
    cid = ipfs_kit.hash("photos/")                 # the CID Kubo and Helia give the folder
    home = ipfs_kit.Home()                          # ~/.ipfs_kit, or $IPFS_KIT_HOME
    docs = home.create_bucket("docs")
    docs.add("report.pdf")
    for f in docs.files():
        print(f.cid, f.size, f.path)
    home.snapshot("first")

The native module (`ipfs_kit._native`) is the same Rust code as the `ipfs-kit` binary, so a
Python process and the CLI can share a home: writes take the same lock.
"""

from __future__ import annotations

import os
from typing import Union

from . import _native, car
from ._home import Bucket, Home
from ._native import Corrupt, InvalidInput, IpfsKitError, Locked, NotFound
from ._types import (
    Added,
    BucketInfo,
    CarExport,
    CarImport,
    CarReport,
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

__all__ = [
    "hash", "Home", "Bucket", "car",
    "IpfsKitError", "NotFound", "Locked", "Corrupt", "InvalidInput",
    "Added", "BucketInfo", "CarExport", "CarImport", "CarReport", "CarShard", "Change", "Diff",
    "FileEntry", "Found", "Pulled", "Pushed", "Restored", "Snapshot",
]

__version__ = _native.__version__


def hash(path: Union[str, "os.PathLike[str]"], profile: str = "unixfs-v1-2025", *, hidden: bool = False) -> str:
    """The root CID of a file or folder, as Kubo and Helia compute it under `profile`
    (``unixfs-v1-2025``, the default, or ``unixfs-v0-2015``), storing nothing. Dot-files are
    skipped unless `hidden`, as `ipfs-kit hash` does."""
    return _native.hash(os.fspath(path), profile, hidden)
