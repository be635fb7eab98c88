"""Code sets that follow the calendar: ICD-10-CM releases by fiscal year, HCPCS dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from claims.coding import check_coding
from claims.hcpcs import HcpcsCodeSet, load_hcpcs, parse_hcpcs_dates
from claims.icd10 import (
    SHIPPED_RELEASE,
    Icd10FormatError,
    Icd10Status,
    load_order_file,
    load_release_dir,
    releases_with,
)
from tests.claims.claims_testkit import clean_claim, line


def order_line(n: int, code: str, billable: bool, text: str = "Description") -> str:
    return f"{n:05d} {code:<7} {int(billable)} {text[:60]:<60} {text}"


def order_file(folder: Path, year: int, codes: dict[str, bool]) -> Path:
    path = folder / f"icd10cm_order_{year}.txt"
    lines = [order_line(n, c, b) for n, (c, b) in enumerate(sorted(codes.items()), start=1)]
    path.write_text("\n".join(lines) + "\n")
    return path


# FY2027 in this made-up order file: E11 split as before, I10 kept, R519 deleted, and a
# new billable code R6901 (claimflow tests only: not CMS's FY2027 content).
FY2027 = {"E11": False, "E119": True, "E1165": True, "E116": False, "I10": True, "R6901": True}


def codes_of(report: object) -> list[str]:
    return [f.code for f in report.findings]  # type: ignore[attr-defined]


def test_the_release_covering_each_line_is_used(tmp_path: Path) -> None:
    order_file(tmp_path, 2027, FY2027)
    releases = releases_with(load_release_dir(tmp_path))
    fy27 = dt.date(2026, 11, 2)
    new_code = clean_claim(line(service_date_from=fy27.isoformat()), diagnoses=["R6901"])
    assert check_coding(new_code, icd10=releases).findings == ()
    # The same code on a FY2026 date is checked against FY2026, where it does not exist.
    old = clean_claim(line(service_date_from="2026-03-02"), diagnoses=["R6901"])
    [finding] = check_coding(old, icd10=releases).findings
    assert finding.code == "CODE_ICD10_UNKNOWN" and "FY2026" in finding.message
    deleted = clean_claim(line(service_date_from=fy27.isoformat()), diagnoses=["R519"])
    [finding] = check_coding(deleted, icd10=releases).findings
    assert finding.code == "CODE_ICD10_UNKNOWN" and "icd10cm_order_2027.txt" in finding.message
    header = clean_claim(line(service_date_from=fy27.isoformat()), diagnoses=["E11"])
    [finding] = check_coding(header, icd10=releases).findings
    assert finding.code == "CODE_ICD10_NOT_BILLABLE"
    assert finding.candidates == ("E116", "E119")


def test_one_missing_release_finding_per_claim_naming_each_year(tmp_path: Path) -> None:
    claim = clean_claim(
        line(service_date_from="2027-10-05"),
        line(service_date_from="2027-11-05"),
        line(service_date_from="2028-10-05"),
    )
    report = check_coding(claim, icd10=releases_with([]))
    [finding] = [f for f in report.findings if f.code == "CODE_ICD10_RELEASE_MISSING"]
    assert "FY2028" in finding.message and "FY2029" in finding.message
    assert "icd10cm_order_2028.txt, icd10cm_order_2029.txt" in finding.message
    assert "line(s) 1, 2" in finding.message
    assert report.ok


def test_an_order_file_replaces_the_shipped_release_for_its_year(tmp_path: Path) -> None:
    order_file(tmp_path, 2026, {"I10": True})
    releases = releases_with(load_release_dir(tmp_path))
    assert SHIPPED_RELEASE not in releases.releases
    report = check_coding(clean_claim(line(service_date_from="2026-03-02"), diagnoses=["E119"]),
                          icd10=releases)  # fmt: skip
    assert codes_of(report) == ["CODE_ICD10_UNKNOWN"]


def test_order_file_lookup(tmp_path: Path) -> None:
    release = load_order_file(order_file(tmp_path, 2027, FY2027))
    assert (release.fiscal_year, release.effective_from, release.effective_to) == (
        2027, dt.date(2026, 10, 1), dt.date(2027, 9, 30),
    )  # fmt: skip
    assert release.lookup("E119").status is Icd10Status.BILLABLE
    assert release.lookup("E11.9").status is Icd10Status.BILLABLE
    assert release.lookup("R519").status is Icd10Status.UNKNOWN


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("icd10cm_order_2027.txt", "not an order file\n", "line 1"),
        ("icd10cm_order_2027.txt", "", "no codes"),
        ("codes2027.txt", order_line(1, "I10", True), "named icd10cm_order_YYYY.txt"),
    ],
)
def test_unreadable_order_files_are_refused(
    tmp_path: Path, name: str, content: str, fragment: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(Icd10FormatError, match=fragment):
        load_order_file(path)


def test_two_files_for_one_fiscal_year_are_refused(tmp_path: Path) -> None:
    order_file(tmp_path, 2027, FY2027)
    (tmp_path / "ICD10CM-order-2027.txt").write_text(order_line(1, "I10", True) + "\n")
    with pytest.raises(Icd10FormatError, match="two order files for FY2027"):
        load_release_dir(tmp_path)


# ------------------------------------------------------------------ HCPCS

# A7042 as CMS's 2016 alpha-numeric HCPCS file has it (public domain: CMS; the record
# copied from ufbmi/icd-tools hcpcs-2016/HCPC2016_CONTR_ANWEB.txt): added 2003-01-01,
# terminated 2014-12-31.
A7042 = (
    "A7042001003Implanted pleural catheter, each" + " " * 48 + "Implanted pleural catheter  38"
    + " " * 6 + "A" + " " * 101 + "C" + " " * 26 + "D1F P      0200301012015010120141231N"
    + " " * 27
)  # fmt: skip


def hcpcs_record(code: str, added: str, terminated: str = "") -> str:
    record = f"{code}00100" + "3" + "A test code".ljust(80) + "Test".ljust(28)
    record = record.ljust(268) + added + "".ljust(8) + terminated.ljust(8) + "N"
    return record.ljust(320)


def test_the_cms_record_layout_gives_the_dates() -> None:
    assert len(A7042) == 320
    assert parse_hcpcs_dates([A7042]) == {"A7042": (dt.date(2003, 1, 1), dt.date(2014, 12, 31))}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-06-30", []),
        ("2026-07-01", ["CODE_HCPCS_TERMINATED"]),
        ("2025-12-31", ["CODE_HCPCS_NOT_YET_EFFECTIVE"]),
    ],
)
def test_hcpcs_add_and_termination_dates_are_honoured(
    tmp_path: Path, day: str, expected: list[str]
) -> None:
    path = tmp_path / "HCPC2026_JUL_ANWEB.txt"
    path.write_text("\n".join([hcpcs_record("Q5001", "20260101", "20260630"), A7042]) + "\n")
    codes = load_hcpcs(path)
    claim = clean_claim(line(procedure_code="Q5001", service_date_from=day))
    report = check_coding(claim, hcpcs=codes, icd10=releases_with([]))
    found = [c for c in codes_of(report) if c.startswith("CODE_HCPCS")]
    assert found == expected
    if expected:
        assert not report.ok  # a complete CMS file: an error


def test_dates_from_an_incomplete_list_only_warn() -> None:
    codes = HcpcsCodeSet(
        frozenset({"Q5001"}), "sample", dates={"Q5001": (None, dt.date(2020, 1, 1))}
    )
    claim = clean_claim(line(procedure_code="Q5001", service_date_from="2026-03-02"))
    report = check_coding(claim, hcpcs=codes, icd10=releases_with([]))
    assert "CODE_HCPCS_TERMINATED" in codes_of(report) and report.ok
