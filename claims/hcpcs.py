"""Procedure code formats and the HCPCS Level II code list.

CPT (Level I) is checked for format only: five digits (Category I), or four digits and F
(Category II) or T (Category III). Its descriptions and code list are AMA-licensed, so
claimflow ships neither.

HCPCS Level II is public (CMS), but no PyPI package ships the CMS list, so claimflow
ships a *sample* (``claims/data/hcpcs_sample.tsv``: a few dozen common public codes) for
tests and demos. Because that sample cannot be complete, a Level II code missing from the
loaded list is a warning, never an error. Point ``CLAIMFLOW_HCPCS_FILE`` at the CMS
quarterly HCPCS file (the fixed-width ``HCPC20xx_..._ANWEB.txt``, or any text/CSV file whose
lines start with the code) for a real existence check.

The CMS file's record (320 characters) also carries each code's dates, honoured against
the line's date of service: the code added date (columns 269-276) and the termination date
(285-292, "the last date for which a procedure or modifier code may be used"). A code used
before it was added or after it was terminated is a finding, as the payer would reject it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from claims.findings import Finding, error, warning
from claims.model import ServiceLine

# CPT Category I: five digits; Category II: four digits + F; Category III: four digits + T.
CPT_FORMAT = re.compile(r"^(\d{5}|\d{4}[FT])$")
# HCPCS Level II: a letter and four digits. I, N, O, W-Z are unassigned; D is CDT (dental).
HCPCS_FORMAT = re.compile(r"^[A-HJ-MP-V]\d{4}$")

HCPCS_FILE_ENV = "CLAIMFLOW_HCPCS_FILE"
_SAMPLE = "hcpcs_sample.tsv"


@dataclass(frozen=True, slots=True)
class HcpcsCodeSet:
    """The Level II codes known to exist, and where they came from (named in findings)."""

    codes: frozenset[str]
    source: str
    complete: bool = False  # True for a full CMS file: absence is then meaningful
    # Code -> (added, terminated), from a CMS file's record; either may be None.
    dates: dict[str, tuple[dt.date | None, dt.date | None]] = field(default_factory=dict)

    def __contains__(self, code: object) -> bool:
        return code in self.codes


def parse_hcpcs_lines(lines: list[str]) -> frozenset[str]:
    """Codes from lines that start with a Level II code; other lines (headers) are skipped.

    Reading only the first five characters fits both the shipped sample (code, tab,
    description) and CMS's fixed-width file (code in columns 1-5, then the sequence number).
    """
    codes = set()
    for line in lines:
        head = line.lstrip('"')[:5]
        if HCPCS_FORMAT.match(head):
            codes.add(head)
    return frozenset(codes)


def _ymd(raw: str) -> dt.date | None:
    raw = raw.strip()
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def parse_hcpcs_dates(lines: list[str]) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    """Added and termination dates from the records of a CMS fixed-width HCPCS file (the
    first record of each code, record id 3 in column 11; continuation records carry none)."""
    dates: dict[str, tuple[dt.date | None, dt.date | None]] = {}
    for line in lines:
        if len(line) < 292 or not HCPCS_FORMAT.match(line[:5]) or line[10] != "3":
            continue
        dates[line[:5]] = (_ymd(line[268:276]), _ymd(line[284:292]))
    return dates


def load_hcpcs(path: str | Path) -> HcpcsCodeSet:
    lines = Path(path).read_text(encoding="latin-1").splitlines()
    return HcpcsCodeSet(
        parse_hcpcs_lines(lines), source=str(path), complete=True, dates=parse_hcpcs_dates(lines)
    )


def hcpcs_date_findings(i: int, line: ServiceLine, codes: HcpcsCodeSet) -> list[Finding]:
    """A Level II code used on a date its file says it was not valid."""
    added, terminated = codes.dates.get(line.procedure_code, (None, None))
    day = line.service_date_from
    make = error if codes.complete else warning
    field_name = f"lines[{i}].procedure_code"
    if added is not None and day < added:
        return [make("CODE_HCPCS_NOT_YET_EFFECTIVE", field_name,
                     f"{line.procedure_code} was added on {added}, after the date of service "
                     f"{day} ({codes.source})")]  # fmt: skip
    if terminated is not None and day > terminated:
        return [make("CODE_HCPCS_TERMINATED", field_name,
                     f"{line.procedure_code} was terminated on {terminated}, before the date of "
                     f"service {day} ({codes.source})")]  # fmt: skip
    return []


@functools.cache
def default_hcpcs() -> HcpcsCodeSet:
    """The file named by ``CLAIMFLOW_HCPCS_FILE``, else the shipped sample. Read once."""
    path = os.environ.get(HCPCS_FILE_ENV)
    if path:
        return load_hcpcs(path)
    text = resources.files("claims.data").joinpath(_SAMPLE).read_text(encoding="utf-8")
    return HcpcsCodeSet(
        parse_hcpcs_lines(text.splitlines()),
        source=f"the HCPCS sample shipped with claimflow ({_SAMPLE})",
    )
