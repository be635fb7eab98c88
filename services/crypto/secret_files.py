"""Private files (keys, signing keys): created once, mode 0600, never half-written.

Several processes (API, worker, simulator) start at once on one state dir and each may be
the first to need a key; ``read_or_create`` lets exactly one of them create it (a hard link
is atomic and fails if the name exists) and every other one read the winner's file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def _write_new(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes; if it does not exist yet, ``make()`` them into it (mode 0600)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    tmp = _write_new(path, make())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won the race: its key is the key
    finally:
        tmp.unlink()
    return path.read_bytes()


def replace_private(path: Path, data: bytes) -> None:
    """Replace the file's content atomically (readers see the old or the new, never half)."""
    os.replace(_write_new(path, data), path)


def write_private(path: Path, data: str | bytes) -> Path:
    """Write a private file (mode 0600) atomically; an existing one is replaced."""
    replace_private(path, data.encode() if isinstance(data, str) else data)
    return path
