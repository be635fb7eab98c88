"""The coding stage (claims.coding): ICD-10-CM, CPT/HCPCS, modifiers, pointers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from claims_testkit import DOS, claim_data, clean_claim, codes, line, only

from claims.coding import check_coding
from claims.findings import Severity
from claims.hcpcs import HcpcsCodeSet
from claims.icd10 import fiscal_year
from claims.model import Claim, ServiceLine


def test_clean_claim_codes_clean() -> None:
    report = check_coding(clean_claim())
    assert report.findings == ()
    assert report.ok


# --- ICD-10-CM -------------------------------------------------------------------------


@pytest.mark.parametrize("dx", ["E119", "I10", "U071", "S72001A", "M5450", "Z23"])
def test_billable_leaf_codes_pass(dx: str) -> None:
    assert codes(check_coding(clean_claim(diagnoses=[dx]))) == []


def test_category_code_is_refused_with_candidates() -> None:
    (f,) = check_coding(clean_claim(diagnoses=["E11"])).findings
    assert f.code == "CODE_ICD10_NOT_BILLABLE"
    assert f.severity is Severity.ERROR
    assert f.field == "diagnoses[0]"
    assert "not billable; more specific codes exist" in f.message
    assert "E119" in f.candidates and "E110" in f.candidates
    assert all("." not in c for c in f.candidates)


def test_subcategory_with_children_is_refused() -> None:
    (f,) = check_coding(clean_claim(diagnoses=["M545"])).findings
    assert f.code == "CODE_ICD10_NOT_BILLABLE"
    assert f.candidates == ("M5450", "M5451", "M5459")


def test_seventh_character_is_required_where_defined() -> None:
    (f,) = check_coding(clean_claim(diagnoses=["S72001"])).findings
    assert f.code == "CODE_ICD10_NOT_BILLABLE"
    assert "S72001A" in f.candidates


@pytest.mark.parametrize("dx", ["K359", "A0000", "Z9999"])
def test_unknown_code_is_refused(dx: str) -> None:
    (f,) = check_coding(clean_claim(diagnoses=[dx])).findings
    assert f.code == "CODE_ICD10_UNKNOWN"
    assert f.severity is Severity.ERROR


def test_malformed_code_is_a_format_error() -> None:
    (f,) = check_coding(clean_claim(diagnoses=["EE1"])).findings
    assert f.code == "CODE_ICD10_FORMAT"


def test_second_diagnosis_field_path() -> None:
    report = check_coding(clean_claim(diagnoses=["E119", "E11"]))
    assert [f.field for f in report.findings] == ["diagnoses[1]"]


@pytest.mark.parametrize(
    ("day", "warned"),
    [
        (dt.date(2025, 9, 30), True),
        (dt.date(2025, 10, 1), False),
        (dt.date(2026, 9, 30), False),
        (dt.date(2026, 10, 1), True),
    ],
)
def test_date_of_service_no_loaded_release_covers_warns(day: dt.date, warned: bool) -> None:
    report = check_coding(clean_claim(line(service_date_from=day.isoformat())))
    found = only(report, "CODE_ICD10_RELEASE_MISSING")
    assert bool(found) is warned
    if warned:
        assert found[0].severity is Severity.WARNING
        assert found[0].field == "lines[0].service_date_from"
        assert f"FY{fiscal_year(day)}" in found[0].message
        assert "CLAIMFLOW_ICD10CM_DIR" in found[0].message
        assert report.ok  # a warning, not a refusal


# --- procedure codes ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ["99213", "3008F", "0042T", "J3420", "G0438"])
def test_cpt_formats_and_known_hcpcs_pass(code: str) -> None:
    assert codes(check_coding(clean_claim(line(code)))) == []


def test_hcpcs_missing_from_the_sample_is_a_warning() -> None:
    (f,) = check_coding(clean_claim(line("J9999"))).findings
    assert (f.code, f.severity, f.field) == (
        "CODE_HCPCS_UNKNOWN",
        Severity.WARNING,
        "lines[0].procedure_code",
    )


def test_hcpcs_missing_from_a_complete_list_is_an_error() -> None:
    full = HcpcsCodeSet(frozenset({"J3420"}), source="CMS HCPCS 2026", complete=True)
    (f,) = check_coding(clean_claim(line("J9999")), hcpcs=full).findings
    assert (f.code, f.severity) == ("CODE_HCPCS_UNKNOWN", Severity.ERROR)
    assert codes(check_coding(clean_claim(line("J3420")), hcpcs=full)) == []


@pytest.mark.parametrize("code", ["ABCDE", "W1234", "1234A", "D12X4"])
def test_malformed_procedure_codes(code: str) -> None:
    assert codes(check_coding(clean_claim(line(code)))) == ["CODE_PROCEDURE_FORMAT"]


# --- modifiers --------------------------------------------------------------------------


def test_known_modifiers_pass() -> None:
    claim = clean_claim(line("20610", modifiers=["RT", "59", "XU", "GA"]))
    assert codes(check_coding(claim)) == []


def test_unknown_modifier_warns() -> None:
    (f,) = check_coding(clean_claim(line(modifiers=["25", "Z9"]))).findings
    assert (f.code, f.severity, f.field) == (
        "CODE_MODIFIER_UNKNOWN",
        Severity.WARNING,
        "lines[0].modifiers[1]",
    )


def test_repeated_modifier_is_an_error() -> None:
    assert codes(check_coding(clean_claim(line(modifiers=["25", "25"])))) == [
        "CODE_MODIFIER_REPEATED"
    ]


def _constructed(**line_fields: object) -> Claim:
    """A claim that bypasses the model's validators, as a corrupted stored claim would."""
    base = clean_claim()
    bad = base.lines[0].model_copy(update=line_fields)
    return base.model_copy(update={"lines": [bad]})


def test_malformed_modifier_is_an_error() -> None:
    assert codes(check_coding(_constructed(modifiers=["a"]))) == ["CODE_MODIFIER_FORMAT"]


# --- diagnosis pointers -----------------------------------------------------------------


def test_repeated_pointer() -> None:
    claim = clean_claim(line(diagnosis_pointers=[1, 1]))
    assert codes(check_coding(claim)) == ["CODE_POINTER_REPEATED"]


def test_missing_pointer() -> None:
    assert codes(check_coding(_constructed(diagnosis_pointers=[]))) == ["CODE_POINTER_MISSING"]


def test_pointer_past_the_diagnoses() -> None:
    (f,) = check_coding(_constructed(diagnosis_pointers=[1, 3])).findings
    assert (f.code, f.field) == ("CODE_POINTER_RANGE", "lines[0].diagnosis_pointers[1]")


def test_pointers_to_every_diagnosis_pass() -> None:
    claim = clean_claim(line(diagnosis_pointers=[2, 1]), diagnoses=["E119", "I10"])
    assert codes(check_coding(claim)) == []


def test_findings_for_several_lines_name_each_line() -> None:
    claim = clean_claim(line(), line("J9999"), line(modifiers=["Z9"]))
    assert [f.field for f in check_coding(claim).findings] == [
        "lines[1].procedure_code",
        "lines[2].modifiers[0]",
    ]


def test_model_accepts_serialised_claims_with_candidates_in_findings() -> None:
    report = check_coding(clean_claim(diagnoses=["E11"]))
    again = type(report).model_validate_json(report.model_dump_json())
    assert again == report
    assert ServiceLine.model_validate(claim_data()["lines"][0]).service_date_from == DOS


def test_importing_claims_does_not_load_the_icd10_tabular() -> None:
    code = (
        "import sys, claims.model, claims.coding, claims.scrub, claims.fhir; "
        "print('simple_icd_10_cm' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "False"
