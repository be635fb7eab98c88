"""NCCI edit tables: CMS's PTP and MUE files, loaded and indexed for the scrubber.

CMS publishes both quarterly (practitioner files for professional claims):

* **PTP** (procedure-to-procedure) edits, tab-delimited text split over several files
  (``ccipra-v<version>r<revision>-f1.txt`` ... ``-f4.txt``). After a preamble (copyright
  line, title, a header spread over several rows) each edit is one row of seven columns:
  Column 1, Column 2, ``*`` when the edit existed before 1996 (else blank), Effective Date
  (YYYYMMDD), Deletion Date (YYYYMMDD, or ``*`` for none), Modifier indicator (0 not
  allowed, 1 allowed, 9 not applicable) and the PTP Edit Rationale.
* **MUE** (medically unlikely edits), a CSV: a quoted copyright preamble, a header row, then
  HCPCS/CPT Code, Practitioner Services MUE Values, MUE Adjudication Indicator (``1 Line
  Edit``, ``2 Date of Service Edit: Policy``, ``3 Date of Service Edit: Clinical``) and MUE
  Rationale.

Rows are recognised by shape, not by position, so the preamble and header rows of any
quarter are skipped; a row that starts with two codes but is otherwise malformed raises
``NcciFormatError`` naming the file and line, because silently dropping an edit would let
claims through that the payer will deny.

Small samples in these layouts ship in ``claims/data/`` for tests and demos; set
``CLAIMFLOW_NCCI_DIR`` to a folder holding the real files (see ``claims/data/README.md``).
Tables are indexed once into dicts keyed by code and cached, because the scrubber consults
them for every line of every claim.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

NCCI_DIR_ENV = "CLAIMFLOW_NCCI_DIR"

_CODE = re.compile(r"^[0-9A-Z]{5}$")
_YMD = re.compile(r"^\d{8}$")
_PTP_FILE = re.compile(r"(ccipra|ccioph|ptp).*\.(txt|tsv)$", re.IGNORECASE)
_MUE_FILE = re.compile(r"mue.*\.csv$", re.IGNORECASE)


class NcciFormatError(ValueError):
    """A row that looks like an edit but cannot be read; names the source and line."""


@dataclass(frozen=True, slots=True)
class PtpEdit:
    column1: str
    column2: str
    effective: dt.date
    # CMS's "Deletion Date": the first date of service the edit no longer applies to, so
    # an edit deleted on the day it took effect (modifier indicator 9) never applied.
    deletion: dt.date | None
    modifier_indicator: str  # "0", "1" or "9"
    rationale: str = ""

    def in_effect(self, day: dt.date) -> bool:
        return self.effective <= day and (self.deletion is None or day < self.deletion)


@dataclass(frozen=True, slots=True)
class MueEdit:
    code: str
    limit: int
    # MUE adjudication indicator: 1 per claim line; 2 (policy) and 3 (clinical) per date
    # of service, units summed over the lines.
    mai: int
    rationale: str = ""


@dataclass(frozen=True, slots=True)
class PtpTable:
    by_pair: dict[tuple[str, str], tuple[PtpEdit, ...]]
    # Every code in any pair: lines whose code is not here need no pair lookups at all.
    codes: frozenset[str]

    @classmethod
    def of(cls, edits: Iterable[PtpEdit]) -> PtpTable:
        by_pair: dict[tuple[str, str], list[PtpEdit]] = {}
        for e in edits:
            by_pair.setdefault((e.column1, e.column2), []).append(e)
        codes = frozenset(c for pair in by_pair for c in pair)
        return cls({k: tuple(v) for k, v in by_pair.items()}, codes)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_pair.values())


@dataclass(frozen=True, slots=True)
class MueTable:
    by_code: dict[str, MueEdit]

    @classmethod
    def of(cls, edits: Iterable[MueEdit]) -> MueTable:
        return cls({e.code: e for e in edits})

    def __len__(self) -> int:
        return len(self.by_code)


@dataclass(frozen=True, slots=True)
class EditTables:
    """What the scrubber's NCCI edits consult. ``source`` names where the tables came from."""

    ptp: PtpTable
    mue: MueTable
    source: str = field(default="")


def _date(text: str, where: str) -> dt.date:
    if not _YMD.match(text):
        raise NcciFormatError(f"{where}: {text!r} is not a YYYYMMDD date")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise NcciFormatError(f"{where}: {text!r} is not a date ({exc})") from None


def parse_ptp(lines: Iterable[str], *, source: str = "<ptp>") -> list[PtpEdit]:
    """PTP edits from the lines of a CMS PTP file (tab-delimited); preamble rows skipped."""
    edits: list[PtpEdit] = []
    for n, raw in enumerate(lines, start=1):
        cells = [c.strip() for c in raw.rstrip("\r\n").split("\t")]
        if len(cells) < 2 or not (_CODE.match(cells[0]) and _CODE.match(cells[1])):
            continue  # preamble, header or blank row
        where = f"{source} line {n}"
        if len(cells) < 6:
            raise NcciFormatError(f"{where}: expected 7 tab-separated columns, got {len(cells)}")
        indicator = cells[5]
        if indicator not in ("0", "1", "9"):
            raise NcciFormatError(f"{where}: modifier indicator {indicator!r} is not 0, 1 or 9")
        deletion = None if cells[4] in ("*", "") else _date(cells[4], where)
        edits.append(
            PtpEdit(
                column1=cells[0],
                column2=cells[1],
                effective=_date(cells[3], where),
                deletion=deletion,
                modifier_indicator=indicator,
                rationale=cells[6] if len(cells) > 6 else "",
            )
        )
    return edits


def parse_mue(lines: Iterable[str], *, source: str = "<mue>") -> list[MueEdit]:
    """MUE edits from the lines of a CMS MUE CSV; preamble and header rows skipped."""
    edits: list[MueEdit] = []
    reader = csv.reader(lines)
    for row in reader:
        cells = [c.strip() for c in row]
        if not cells or not _CODE.match(cells[0]):
            continue  # preamble (possibly a multi-line quoted paragraph), header or blank
        where = f"{source} line {reader.line_num}"
        if len(cells) < 3:
            raise NcciFormatError(f"{where}: expected code, MUE value and MAI, got {cells}")
        if not cells[1].isdigit():
            raise NcciFormatError(f"{where}: MUE value {cells[1]!r} is not a whole number")
        mai = cells[2][:1]
        if mai not in ("1", "2", "3"):
            raise NcciFormatError(f"{where}: MUE adjudication indicator {cells[2]!r} is not 1-3")
        edits.append(
            MueEdit(
                code=cells[0],
                limit=int(cells[1]),
                mai=int(mai),
                rationale=cells[3] if len(cells) > 3 else "",
            )
        )
    return edits


def load_ptp(path: str | Path) -> list[PtpEdit]:
    # CMS files are Windows-1252/Latin-1 text; every field we read is ASCII.
    with open(path, encoding="latin-1", newline="") as f:
        return parse_ptp(f, source=str(path))


def load_mue(path: str | Path) -> list[MueEdit]:
    with open(path, encoding="latin-1", newline="") as f:
        return parse_mue(f, source=str(path))


def load_tables(directory: str | Path) -> EditTables:
    """Tables from a folder of CMS files: every ``ccipra*``/``*ptp*`` .txt/.tsv as PTP parts
    and every ``*mue*.csv`` as MUE tables (a later file's value for a code wins)."""
    folder = Path(directory)
    ptp_files = sorted(p for p in folder.iterdir() if _PTP_FILE.search(p.name))
    mue_files = sorted(p for p in folder.iterdir() if _MUE_FILE.search(p.name))
    if not ptp_files or not mue_files:
        raise FileNotFoundError(
            f"{folder} must hold PTP files (ccipra*.txt) and an MUE table (*MUE*.csv); "
            f"found PTP {[p.name for p in ptp_files]}, MUE {[p.name for p in mue_files]}"
        )
    ptp = PtpTable.of(e for p in ptp_files for e in load_ptp(p))
    mue = MueTable.of(e for p in mue_files for e in load_mue(p))
    return EditTables(ptp=ptp, mue=mue, source=str(folder))


@functools.cache
def default_tables() -> EditTables:
    """The folder named by ``CLAIMFLOW_NCCI_DIR``, else the shipped samples. Built once."""
    folder = os.environ.get(NCCI_DIR_ENV)
    if folder:
        return load_tables(folder)
    data = resources.files("claims.data")
    ptp = parse_ptp(
        data.joinpath("ncci_ptp_sample.tsv").read_text("utf-8").splitlines(),
        source="ncci_ptp_sample.tsv",
    )
    mue = parse_mue(
        data.joinpath("mue_practitioner_sample.csv").read_text("utf-8").splitlines(),
        source="mue_practitioner_sample.csv",
    )
    return EditTables(PtpTable.of(ptp), MueTable.of(mue), source="claimflow sample NCCI tables")
