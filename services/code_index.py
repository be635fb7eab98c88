"""The shipped ICD-10-CM release's index, cached in a file so a process need not parse the tabular.

``simple-icd-10-cm`` parses a ~10 MB XML file at import: two to four seconds of CPU in every
process that codes a claim (each worker, ``claimflow scrub``), for the few thousand bytes per
code that claimflow reads (``claims.icd10.ShippedIndex``). The index is built from the library
once and pickled to ``<venv>/var/cache/claimflow/``, named by the library's version, so that
installing another version builds a new one; a process then loads it in about a tenth of a
second. Where the file cannot be read, the index is built from the library (seconds, as
before); where it cannot be written (a read-only install), it is built per process and the
image should build it at install (the Dockerfile does). The file is as trusted as the
installed code beside it.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path

from claims import icd10

log = logging.getLogger(__name__)

LIBRARY = "simple-icd-10-cm"
# Bumped whenever ``ShippedIndex`` changes shape, so that an old file is not read.
FORMAT = 1
_lock = threading.Lock()


def cache_dir() -> Path:
    """Beside the installed packages: the cache belongs to their versions."""
    return Path(sys.prefix) / "var" / "cache" / "claimflow"


def cache_file(folder: Path | None = None) -> Path:
    version = importlib.metadata.version(LIBRARY)
    return (folder or cache_dir()) / f"icd10cm-index-{version}-f{FORMAT}.pickle"


def _read(path: Path) -> icd10.ShippedIndex | None:
    try:
        with path.open("rb") as handle:
            index = pickle.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
        log.warning("ICD-10-CM index %s unreadable (%s); building it again", path, exc)
        return None
    if not isinstance(index, dict) or "E11.9" not in index:
        log.warning("ICD-10-CM index %s is not an index; building it again", path)
        return None
    return index


def _write(path: Path, index: icd10.ShippedIndex) -> None:
    """Atomically: two processes building at once each rename a whole file into place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(dict(index), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.info("ICD-10-CM index not cached at %s (%s); built in this process", path, exc)


def build(folder: Path | None = None) -> icd10.ShippedIndex:
    """Build the index from the library and write it to the cache (if the folder is writable)."""
    import simple_icd_10_cm

    index = icd10.index_from_library(simple_icd_10_cm)
    _write(cache_file(folder), index)
    return index


def shipped_icd10_index(folder: Path | None = None) -> icd10.ShippedIndex:
    """The cached index, built (and cached) first if there is none for this library version."""
    with _lock:  # two threads of one process build it once
        return _read(cache_file(folder)) or build(folder)


def preload_icd10(folder: Path | None = None) -> None:
    """``claims.icd10.preload`` with the cached index: the shipped release without the tabular."""
    icd10.preload(shipped_icd10_index(folder))
