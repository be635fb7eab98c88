"""Loading CMS's NCCI files and the HCPCS list (claims.ncci, claims.hcpcs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from claims import hcpcs, ncci
from claims.ncci import (
    NcciFormatError,
    PtpEdit,
    default_tables,
    load_mue,
    load_ptp,
    load_tables,
    parse_mue,
    parse_ptp,
)

# The head of a CMS practitioner PTP file: copyright line, title, a header spread over
# four rows, CRLF line ends.
CMS_PTP = (
    "\r\n".join(
        [
            "CPT only copyright 2025 American Medical Association. All rights reserved."
            "\t\t\t\t\t\t",
            "Column1/Column2 Edits\t\t\t\t\t\t",
            "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
            "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
            "\t\t\t\t*=no data\t1=allowed\t",
            "\t\t\t\t\t9=not applicable\t",
            "0001U\t0002U\t\t20170101\t*\t0\tMisuse of column two code with column one code",
            "10021\t76942\t*\t19960101\t20190101\t1\tStandards of medical / surgical practice",
            "G0438\tG0444\t\t20150101\t*\t9\tCMS manual instruction",
        ]
    )
    + "\r\n"
)

CMS_MUE = "\n".join(
    [
        '"CPT codes, descriptions and other data only are copyright 2025 American Medical',
        'Association. All Rights Reserved."',
        "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale",
        "0001U,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction",
        "10021,4,3 Date of Service Edit: Clinical,Clinical: Data",
        '88305,16,1 Line Edit,"Clinical: Data, Nature of Service"',
    ]
)


def test_cms_ptp_layout_is_read_past_its_header_rows(tmp_path: Path) -> None:
    path = tmp_path / "ccipra-v321r0-f1.txt"
    path.write_bytes(CMS_PTP.encode("latin-1"))
    edits = load_ptp(path)
    assert edits == [
        PtpEdit(
            "0001U",
            "0002U",
            dt.date(2017, 1, 1),
            None,
            "0",
            "Misuse of column two code with column one code",
        ),
        PtpEdit(
            "10021",
            "76942",
            dt.date(1996, 1, 1),
            dt.date(2019, 1, 1),
            "1",
            "Standards of medical / surgical practice",
        ),
        PtpEdit("G0438", "G0444", dt.date(2015, 1, 1), None, "9", "CMS manual instruction"),
    ]


def test_ptp_in_effect_boundaries() -> None:
    edit = PtpEdit("A", "B", dt.date(2020, 1, 1), dt.date(2021, 1, 1), "1")
    assert not edit.in_effect(dt.date(2019, 12, 31))
    assert edit.in_effect(dt.date(2020, 1, 1))
    assert edit.in_effect(dt.date(2020, 12, 31))
    assert not edit.in_effect(dt.date(2021, 1, 1))
    assert PtpEdit("A", "B", dt.date(2020, 1, 1), None, "0").in_effect(dt.date(2099, 1, 1))


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("93000\t93005\t\t2015011\t*\t0\tx", "YYYYMMDD"),
        ("93000\t93005\t\t20151301\t*\t0\tx", "not a date"),
        ("93000\t93005\t\t20150101\t*\t2\tx", "modifier indicator"),
        ("93000\t93005\t\t20150101", "7 tab-separated columns"),
        ("93000\t93005\t\t20150101\t2015\t1\tx", "YYYYMMDD"),
    ],
)
def test_malformed_ptp_rows_are_refused_with_their_line(row: str, problem: str) -> None:
    with pytest.raises(NcciFormatError, match=rf"f1\.txt line 2: .*{problem}"):
        parse_ptp(["header", row], source="f1.txt")


def test_cms_mue_csv_is_read_past_its_quoted_preamble(tmp_path: Path) -> None:
    path = tmp_path / "MCR_MUE_PractitionerServices_Eff_01-01-2026.csv"
    path.write_text(CMS_MUE, encoding="latin-1")
    edits = {e.code: e for e in load_mue(path)}
    assert {c: (e.limit, e.mai) for c, e in edits.items()} == {
        "0001U": (1, 2),
        "10021": (4, 3),
        "88305": (16, 1),
    }
    assert edits["88305"].rationale == "Clinical: Data, Nature of Service"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("99213,one,1 Line Edit,x", "whole number"),
        ("99213,1,4 Something,x", "indicator"),
        ("99213,1", "expected code"),
    ],
)
def test_malformed_mue_rows_are_refused(row: str, problem: str) -> None:
    with pytest.raises(NcciFormatError, match=problem):
        parse_mue([row], source="mue.csv")


def test_load_tables_reads_a_folder_of_cms_files(tmp_path: Path) -> None:
    (tmp_path / "ccipra-v321r0-f1.txt").write_text(CMS_PTP, encoding="latin-1")
    (tmp_path / "ccipra-v321r0-f2.txt").write_text(
        "Column 1\tColumn 2\n27447\t20610\t\t20100101\t*\t1\tx\n", encoding="latin-1"
    )
    (tmp_path / "MCR_MUE_PractitionerServices.csv").write_text(CMS_MUE, encoding="latin-1")
    (tmp_path / "readme.txt").write_text("not an edit file")
    tables = load_tables(tmp_path)
    assert len(tables.ptp) == 4
    assert ("27447", "20610") in tables.ptp.by_pair
    assert "20610" in tables.ptp.codes
    assert tables.mue.by_code["10021"].limit == 4


def test_load_tables_needs_both_kinds_of_file(tmp_path: Path) -> None:
    (tmp_path / "ccipra-v321r0-f1.txt").write_text(CMS_PTP)
    with pytest.raises(FileNotFoundError, match="MUE"):
        load_tables(tmp_path)


def test_default_tables_are_the_shipped_samples_built_once() -> None:
    tables = default_tables()
    assert tables is default_tables()
    assert ("93000", "93005") in tables.ptp.by_pair
    assert tables.mue.by_code["97140"].mai == 1


def test_ncci_dir_env_var_points_at_real_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ccipra-v321r0-f1.txt").write_text(CMS_PTP)
    (tmp_path / "MCR_MUE_PractitionerServices.csv").write_text(CMS_MUE)
    monkeypatch.setenv(ncci.NCCI_DIR_ENV, str(tmp_path))
    default_tables.cache_clear()
    try:
        assert ("0001U", "0002U") in default_tables().ptp.by_pair
        assert default_tables().source == str(tmp_path)
    finally:
        monkeypatch.delenv(ncci.NCCI_DIR_ENV)
        default_tables.cache_clear()
    assert ("93000", "93005") in default_tables().ptp.by_pair


def test_shipped_sample_files_parse_completely() -> None:
    data = Path(ncci.__file__).parent / "data"
    assert len(load_ptp(data / "ncci_ptp_sample.tsv")) == 12
    assert len(load_mue(data / "mue_practitioner_sample.csv")) == 13


# --- HCPCS ------------------------------------------------------------------------------


def test_hcpcs_sample_is_loaded_and_marked_incomplete() -> None:
    codes = hcpcs.default_hcpcs()
    assert "J3420" in codes and "G0438" in codes
    assert not codes.complete
    assert "sample" in codes.source


def test_hcpcs_lines_fixed_width_and_tsv() -> None:
    lines = [
        "HCPC  SEQNUM RECID LONG DESCRIPTION",
        "A0021000101Outside state ambulance serv",
        "J3420\tVitamin B12 injection",
        '"G0008",Admin influenza virus vac',
        "99213 not a Level II code",
    ]
    assert hcpcs.parse_hcpcs_lines(lines) == frozenset({"A0021", "J3420", "G0008"})


def test_hcpcs_file_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "HCPC2026_JAN_ANWEB.txt"
    path.write_text("A0021000101Outside state ambulance serv\n")
    monkeypatch.setenv(hcpcs.HCPCS_FILE_ENV, str(path))
    hcpcs.default_hcpcs.cache_clear()
    try:
        loaded = hcpcs.default_hcpcs()
        assert loaded.codes == frozenset({"A0021"})
        assert loaded.complete
    finally:
        monkeypatch.delenv(hcpcs.HCPCS_FILE_ENV)
        hcpcs.default_hcpcs.cache_clear()
