"""Procedure code formats and the HCPCS Level II code list.

CPT (Level I) is checked for format only: five digits (Category I), or four digits and F
(Category II) or T (Category III). Its descriptions and code list are AMA-licensed, so
claimflow ships neither.

HCPCS Level II is public (CMS), but no PyPI package ships the CMS list, so claimflow
ships a *sample* (``claims/data/hcpcs_sample.tsv``: a few dozen common public codes) for
tests and demos. Because that sample cannot be complete, a Level II code missing from the
loaded list is a warning, never an error. Point ``CLAIMFLOW_HCPCS_FILE`` at the CMS
quarterly HCPCS file (the fixed-width ``HCPC20xx_..._ANWEB.txt``, or any text/CSV file whose
lines start with the code) for a real existence check. Termination dates in that file are
not read: a code present in the file counts as existing.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

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


def load_hcpcs(path: str | Path) -> HcpcsCodeSet:
    text = Path(path).read_text(encoding="latin-1")
    return HcpcsCodeSet(parse_hcpcs_lines(text.splitlines()), source=str(path), complete=True)


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
