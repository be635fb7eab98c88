"""ICD-10-CM lookups: does a diagnosis code exist, and is it billable (a leaf)?

Backed by ``simple-icd-10-cm`` 1.5.0, which ships one release of the CDC's ICD-10-CM
tabular: the **April 1, 2026 update of the FY2026 code set**. ICD-10-CM validity depends on
the date of service: each fiscal year's code set applies to services from October 1 to the
next September 30, when codes are added, deleted and categories split. claimflow models that
dependency as an effective-date range for the shipped release, ``SHIPPED_RELEASE``:
**2025-10-01 to 2026-09-30** (FY2026). Two simplifications, both stated rather than hidden:

* codes that the April 2026 update added are accepted for FY2026 dates before April 1;
* a claim whose dates of service fall outside the range is still checked against the
  shipped release (the best answer at hand), and the coding stage adds a warning saying so
  (``CODE_ICD10_RELEASE_RANGE``) instead of passing silently. Loading another release
  (``simple_icd_10_cm.change_version``) means passing its range as ``icd10_release``.

The library parses a ~10 MB XML file at import (about two seconds), so it is imported on
first lookup, never when ``claims`` is imported: the Temporal workflow sandbox imports
``claims.model`` and must stay fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType


@dataclass(frozen=True, slots=True)
class Icd10Release:
    name: str
    effective_from: dt.date
    effective_to: dt.date

    def covers(self, day: dt.date) -> bool:
        return self.effective_from <= day <= self.effective_to


SHIPPED_RELEASE = Icd10Release(
    name="ICD-10-CM FY2026 (April 1, 2026 update)",
    effective_from=dt.date(2025, 10, 1),
    effective_to=dt.date(2026, 9, 30),
)

MAX_CANDIDATES = 10


class Icd10Status(StrEnum):
    BILLABLE = "billable"
    NOT_BILLABLE = "not_billable"  # a category or subcategory with more specific codes
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Icd10Lookup:
    status: Icd10Status
    # For NOT_BILLABLE: the next level of more specific codes, without dots, as on a claim.
    children: tuple[str, ...] = ()


_lock = threading.Lock()
_lib: ModuleType | None = None


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
    lib = _library()
    if not lib.is_valid_item(code) or not lib.is_category_or_subcategory(code):
        return Icd10Lookup(Icd10Status.UNKNOWN)
    if lib.is_leaf(code):
        return Icd10Lookup(Icd10Status.BILLABLE)
    children = tuple(c.replace(".", "") for c in lib.get_children(code))
    return Icd10Lookup(Icd10Status.NOT_BILLABLE, children)


def preload() -> None:
    """Load the tabular now (about two seconds). A worker calls this at startup so that the
    first coding activity does not stall its event loop doing it."""
    _library()
