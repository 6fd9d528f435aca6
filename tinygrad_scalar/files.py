"""Writing files safely: every file the package writes goes through ``atomic_write``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` all at once, or not at all; returns the path.

    The bytes go to a temporary file beside ``path``, which then replaces it in one rename: a save
    that fails or is interrupted leaves the old file intact. The file gets the usual permissions
    (0666 less the umask), like any other file the user writes.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
