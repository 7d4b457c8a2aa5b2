"""Writing files atomically: a failed write never leaves a partial output file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a hidden sibling of `path`, then rename it over `path`.

    The temporary file sits in the target folder (so the rename is atomic) and is created
    with the usual permissions (``mkstemp`` would give 0600). On any failure it is removed
    and the exception propagates; an existing `path` is left as it was.
    """
    folder = path.parent if str(path.parent) else Path(".")
    tmp = folder / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
