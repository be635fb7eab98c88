"""ICD-10-CM lookups by date of service: which release applies, is a code in it, is it billable?

ICD-10-CM changes every October 1 (fiscal year N runs from October 1 of N-1 to September 30
of N; sometimes an April 1 update adds codes mid-year), and a code's validity depends on the
date of service. So the code set is a list of releases with effective dates, and the coding
stage checks each service line's diagnoses against the release covering its date
(``Icd10Releases.for_date``):

* the shipped release comes from ``simple-icd-10-cm`` 1.5.0: the April 1, 2026 update of
  FY2026, used for 2025-10-01 to 2026-09-30 (codes the April update added are accepted for
  the whole year: a stated simplification);
* further releases are CMS's "order files", one per fiscal year, dropped into the folder
  named by ``CLAIMFLOW_ICD10CM_DIR`` (like ``CLAIMFLOW_NCCI_DIR`` for NCCI):
  ``icd10cm_order_YYYY.txt``, the fiscal year read from the file name. The format is fixed
  width: order number (5), code (7, no dot), a flag (1 billable, 0 a header), short and long
  descriptions. A file for a year the library also covers replaces the library for it.

A date no loaded release covers is not silently checked against another year: the coding
stage says so once per claim, naming the missing fiscal year and how to load it, and checks
against the nearest release meanwhile.

The library parses a ~10 MB XML file at import (two to four seconds of CPU), so it is
imported on first lookup, never when ``claims`` is imported: the Temporal workflow sandbox
imports ``claims.model`` and must stay fast. What claimflow reads from it fits a small index
(``ShippedIndex``: each category and subcategory with its children), which
``index_from_library`` builds; a process handed that index (``preload(index)``) looks codes
up in it and never imports the library. ``services.code_index`` keeps the index in a cache
file keyed by the library's version, so a process loads it in a tenth of a second. The
library stays the source of truth: the index is derived from it, and a test checks the two
answer alike. (Loading the library and reading ``CLAIMFLOW_ICD10CM_DIR`` are this module's
I/O, the reference data it is about; writing the cache is the adapter's.)
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType

ICD10CM_DIR_ENV = "CLAIMFLOW_ICD10CM_DIR"
MAX_CANDIDATES = 10
_ORDER_FILE = re.compile(r"icd10cm[_-]order[_-](\d{4})\.txt$", re.IGNORECASE)
_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")


class Icd10Status(StrEnum):
    BILLABLE = "billable"
    NOT_BILLABLE = "not_billable"  # a category or subcategory with more specific codes
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Icd10Lookup:
    status: Icd10Status
    # For NOT_BILLABLE: the next level of more specific codes, without dots, as on a claim.
    children: tuple[str, ...] = ()


def fiscal_year(day: dt.date) -> int:
    """The federal fiscal year of ``day``: FY N starts October 1 of N-1."""
    return day.year + 1 if day.month >= 10 else day.year


def fiscal_year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


@dataclass(frozen=True)
class Icd10Release:
    """One fiscal year's code set, and how to look a code up in it."""

    name: str
    effective_from: dt.date
    effective_to: dt.date
    lookup: Callable[[str], Icd10Lookup] = field(compare=False, repr=False)

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day <= self.effective_to

    @property
    def fiscal_year(self) -> int:
        return self.effective_to.year


class Icd10FormatError(ValueError):
    """A CMS order file claimflow cannot read; names the file and line."""


@dataclass(frozen=True)
class Icd10Releases:
    releases: tuple[Icd10Release, ...]

    def for_date(self, day: dt.date) -> Icd10Release | None:
        return next((r for r in self.releases if r.covers(day)), None)

    def nearest(self, day: dt.date) -> Icd10Release:
        """The release closest in time to ``day`` (for a date none covers)."""
        return min(
            self.releases,
            key=lambda r: min(abs((r.effective_from - day).days), abs((r.effective_to - day).days)),
        )


def parse_order_file(lines: Iterable[str], source: str = "order file") -> dict[str, bool]:
    """Code (no dot) -> billable, from the lines of a CMS ``icd10cm_order_YYYY.txt``."""
    codes: dict[str, bool] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        code, flag = line[6:13].strip(), line[14:15]
        if not line[:5].isdigit() or not _CODE.match(code) or flag not in ("0", "1"):
            raise Icd10FormatError(
                f"{source} line {number}: not an ICD-10-CM order file line (order number in "
                "columns 1-5, code in 7-13, billable flag 0/1 in 15)"
            )
        codes[code] = flag == "1"
    return codes


def order_file_release(codes: dict[str, bool], year: int, name: str) -> Icd10Release:
    ordered = sorted(codes)

    def look(code: str) -> Icd10Lookup:
        code = code.replace(".", "")
        billable = codes.get(code)
        if billable is None:
            return Icd10Lookup(Icd10Status.UNKNOWN)
        if billable:
            return Icd10Lookup(Icd10Status.BILLABLE)
        start = bisect.bisect_right(ordered, code)
        below = []
        for other in ordered[start:]:
            if not other.startswith(code):
                break
            below.append(other)
        depth = min((len(c) for c in below), default=0)
        return Icd10Lookup(Icd10Status.NOT_BILLABLE, tuple(c for c in below if len(c) == depth))

    first, last = fiscal_year_range(year)
    return Icd10Release(name, first, last, look)


def load_order_file(path: str | Path) -> Icd10Release:
    path = Path(path)
    found = _ORDER_FILE.search(path.name)
    if found is None:
        raise Icd10FormatError(f"{path}: an order file is named icd10cm_order_YYYY.txt")
    year = int(found.group(1))
    codes = parse_order_file(path.read_text(encoding="latin-1").splitlines(), str(path))
    if not codes:
        raise Icd10FormatError(f"{path}: no codes in the file")
    return order_file_release(codes, year, f"ICD-10-CM FY{year} ({path.name})")


def load_release_dir(folder: str | Path) -> list[Icd10Release]:
    """Every order file in ``folder``; two for one fiscal year is an error, not a guess."""
    releases: dict[int, tuple[Path, Icd10Release]] = {}
    for path in sorted(Path(folder).iterdir()):
        if not _ORDER_FILE.search(path.name):
            continue
        release = load_order_file(path)
        if release.fiscal_year in releases:
            other = releases[release.fiscal_year][0]
            raise Icd10FormatError(
                f"{folder}: two order files for FY{release.fiscal_year} ({other.name}, "
                f"{path.name}); keep one"
            )
        releases[release.fiscal_year] = (path, release)
    return [release for _, release in releases.values()]


def releases_with(extra: Iterable[Icd10Release]) -> Icd10Releases:
    """The shipped release plus ``extra`` (which replace it for a year they both cover)."""
    loaded = list(extra)
    years = {r.fiscal_year for r in loaded}
    shipped = [] if SHIPPED_RELEASE.fiscal_year in years else [SHIPPED_RELEASE]
    return Icd10Releases(tuple(sorted(shipped + loaded, key=lambda r: r.effective_from)))


@functools.cache
def default_releases() -> Icd10Releases:
    """The shipped release and those in ``CLAIMFLOW_ICD10CM_DIR``. Read once per process."""
    folder = os.environ.get(ICD10CM_DIR_ENV)
    return releases_with(load_release_dir(folder) if folder else [])


_lock = threading.Lock()
_lib: ModuleType | None = None

# The shipped release as claimflow reads it: each category and subcategory, named as the
# library names it ("E11", "E11.9"), with its children without dots; none for a billable
# leaf. Set by ``preload(index)``; until then lookups go to the library itself.
ShippedIndex = Mapping[str, tuple[str, ...]]
_index: ShippedIndex | None = None


def index_from_library(lib: ModuleType) -> dict[str, tuple[str, ...]]:
    """The ``ShippedIndex`` of the loaded ``simple_icd_10_cm``: what ``lookup`` would ask it."""
    index: dict[str, tuple[str, ...]] = {}
    for code in lib.get_all_codes(True):
        if lib.is_category_or_subcategory(code):
            leaf = lib.is_leaf(code)
            index[code] = () if leaf else tuple(c.replace(".", "") for c in lib.get_children(code))
    return index


def lookup_in(index: ShippedIndex, code: str) -> Icd10Lookup:
    """``lookup`` over an index: a code is found as written or with the dot after its third
    character put in, as the library finds it."""
    children = index.get(code)
    if children is None and len(code) >= 4:
        children = index.get(f"{code[:3]}.{code[3:]}")
    if children is None:
        return Icd10Lookup(Icd10Status.UNKNOWN)
    if not children:
        return Icd10Lookup(Icd10Status.BILLABLE)
    return Icd10Lookup(Icd10Status.NOT_BILLABLE, children)


def _library() -> ModuleType:
    global _lib
    if _lib is None:
        with _lock:  # two activity threads may ask at once; load the tabular once
            if _lib is None:
                import simple_icd_10_cm

                _lib = simple_icd_10_cm
    return _lib


@functools.lru_cache(maxsize=65536)
def lookup(code: str) -> Icd10Lookup:
    """Classify a code written as on a claim (no dot, e.g. ``E119``); a dotted code works too.

    Only categories and subcategories count: chapters ("4") and blocks ("E08-E13") are
    navigation, not codes, and are UNKNOWN here.
    """
    if _index is not None:
        return lookup_in(_index, code)
    return library_lookup(_library(), code)


def library_lookup(lib: ModuleType, code: str) -> Icd10Lookup:
    """``lookup`` asking the library itself (the source the index is checked against)."""
    if not lib.is_valid_item(code) or not lib.is_category_or_subcategory(code):
        return Icd10Lookup(Icd10Status.UNKNOWN)
    if lib.is_leaf(code):
        return Icd10Lookup(Icd10Status.BILLABLE)
    children = tuple(c.replace(".", "") for c in lib.get_children(code))
    return Icd10Lookup(Icd10Status.NOT_BILLABLE, children)


SHIPPED_RELEASE = Icd10Release(
    name="ICD-10-CM FY2026 (April 1, 2026 update, shipped)",
    effective_from=dt.date(2025, 10, 1),
    effective_to=dt.date(2026, 9, 30),
    lookup=lookup,
)


def preload(index: ShippedIndex | None = None) -> None:
    """Load the shipped release and the order files now. A worker calls this at startup so
    that the first coding activity does not stall its event loop doing it.

    ``index``: the shipped release's ``ShippedIndex`` (from ``services.code_index``), looked
    up from now on instead of the library, which is then never imported; without it the
    library's tabular is loaded (seconds).
    """
    global _index
    if index is not None:
        _index = index
        lookup.cache_clear()
    else:
        _library()
    default_releases()
