"""CAR files: `verify` checks one as `ipfs-kit car verify` does."""

from __future__ import annotations

import os
from typing import Union

from . import _native
from ._types import CarReport

__all__ = ["verify"]


def verify(path: Union[str, "os.PathLike[str]"]) -> CarReport:
    """Reads the CAR at `path` (v1 or v2) and checks every block against its CID, that each
    root is in it, and whether the DAGs under the roots are complete.

    Raises `Corrupt` for a block that does not match its CID or a CAR that cannot be parsed,
    `InvalidInput` for a CAR whose roots or tree break ipfs-kit's rules, `NotFound` for a
    missing file. A CAR that is well formed but incomplete is returned with
    ``complete=False``.
    """
    d = _native.verify_car(os.fspath(path))
    return CarReport(**d)
