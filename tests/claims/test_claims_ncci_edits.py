"""NCCI PTP and MUE edits in the scrubber (claims.ncci_edits), on the shipped samples."""

from __future__ import annotations

import datetime as dt

import pytest
from claims_testkit import DOS, clean_claim, line, only

from claims.findings import Report
from claims.ncci import EditTables, MueTable, PtpTable, parse_mue, parse_ptp
from claims.scrub import scrub


def on(day: str, *lines: dict[str, object]) -> Report:
    """Scrub lines dated ``day`` (those left at the builder's default date), as of the day
    after, so that no date edit interferes."""
    dated = [
        dict(ln, service_date_from=day) if ln["service_date_from"] == DOS.isoformat() else ln
        for ln in lines
    ]
    today = dt.date.fromisoformat(day) + dt.timedelta(days=1)
    return scrub(clean_claim(*dated), today=today)


def ptp(report: Report) -> list[str]:
    return [f.field for f in only(report, "SCRUB_NCCI_PTP")]


DAY = "2026-03-02"

# --- PTP --------------------------------------------------------------------------------


def test_indicator_0_pair_fires_on_the_column_2_line() -> None:
    report = on(DAY, line("93000"), line("93005"))
    (f,) = only(report, "SCRUB_NCCI_PTP")
    assert f.field == "lines[1].procedure_code"
    assert "93005" in f.message and "93000" in f.message and "indicator 0" in f.message


def test_column_order_on_the_claim_does_not_matter() -> None:
    assert ptp(on(DAY, line("93005"), line("93000"))) == ["lines[0].procedure_code"]


@pytest.mark.parametrize("where", [0, 1])
@pytest.mark.parametrize("modifier", ["59", "XU"])
def test_indicator_0_is_not_bypassed_by_any_modifier(where: int, modifier: str) -> None:
    lines = [line("93000"), line("93005")]
    lines[where] = dict(lines[where], modifiers=[modifier])
    assert ptp(on(DAY, *lines)) == ["lines[1].procedure_code"]


def test_indicator_1_fires_without_a_modifier() -> None:
    (f,) = only(on(DAY, line("45380"), line("45378")), "SCRUB_NCCI_PTP")
    assert f.field == "lines[1].procedure_code"
    assert "indicator 1" in f.message


@pytest.mark.parametrize("modifier", ["59", "XE", "XS", "XP", "XU", "RT", "25", "91"])
@pytest.mark.parametrize("where", [0, 1])
def test_indicator_1_is_bypassed_by_an_ncci_modifier_on_either_code(
    modifier: str, where: int
) -> None:
    lines = [line("45380"), line("45378")]
    lines[where] = dict(lines[where], modifiers=[modifier])
    assert ptp(on(DAY, *lines)) == []


@pytest.mark.parametrize("modifier", ["26", "GA", "76"])
def test_indicator_1_is_not_bypassed_by_other_modifiers(modifier: str) -> None:
    assert ptp(on(DAY, line("45380"), line("45378", modifiers=[modifier]))) == [
        "lines[1].procedure_code"
    ]


@pytest.mark.parametrize("day", ["2020-01-01", "2020-06-01", "2026-03-02"])
def test_indicator_9_never_fires(day: str) -> None:
    assert ptp(on(day, line("97530"), line("97140"))) == []


def test_pairs_on_different_dates_do_not_fire() -> None:
    report = on(DAY, line("93000"), line("93005", service_date_from="2026-03-01"))
    assert ptp(report) == []


@pytest.mark.parametrize(("day", "fires"), [("2014-12-31", False), ("2015-01-01", True)])
def test_effective_date_boundary(day: str, fires: bool) -> None:
    assert bool(ptp(on(day, line("20610"), line("76942")))) is fires


@pytest.mark.parametrize(("day", "fires"), [("2020-12-31", True), ("2021-01-01", False)])
def test_deletion_date_boundary(day: str, fires: bool) -> None:
    # 11042/11720 was deleted with deletion date 2021-01-01: it applied up to the day before.
    assert bool(ptp(on(day, line("11042"), line("11720")))) is fires


def test_unrelated_codes_do_not_fire() -> None:
    assert ptp(on(DAY, line("99213"), line("93000"), line("J3420"))) == []


def test_one_column_1_code_bundles_several_lines() -> None:
    report = on(DAY, line("93000"), line("93005"), line("93010"))
    assert ptp(report) == ["lines[1].procedure_code", "lines[2].procedure_code"]


def test_injected_tables_replace_the_defaults() -> None:
    tables = EditTables(
        ptp=PtpTable.of(parse_ptp(["99213\t99212\t\t20200101\t*\t0\tTest"])),
        mue=MueTable.of([]),
    )
    claim = clean_claim(line("99213"), line("99212"))
    report = scrub(claim, today=dt.date(2026, 3, 10), tables=tables)
    assert ptp(report) == ["lines[1].procedure_code"]
    # ...and the sample's pairs are not consulted.
    assert (
        ptp(
            scrub(
                clean_claim(line("93000"), line("93005")), today=dt.date(2026, 3, 10), tables=tables
            )
        )
        == []
    )


# --- MUE --------------------------------------------------------------------------------


def mue(report: Report) -> list[tuple[str, str]]:
    return [(f.code, f.field) for f in report.findings if f.code.startswith("SCRUB_MUE")]


def test_mai_1_line_over_the_limit() -> None:
    # 97140: MUE 6, MAI 1.
    (f,) = only(on(DAY, line("97140", units="7")), "SCRUB_MUE_LINE")
    assert f.field == "lines[0].units"
    assert "MUE of 6" in f.message


def test_mai_1_at_the_limit_passes() -> None:
    assert mue(on(DAY, line("97140", units="6"))) == []


def test_mai_1_counts_each_line_alone() -> None:
    assert mue(on(DAY, line("97140", units="6"), line("97140", units="6", modifiers=["59"]))) == []


def test_mai_2_sums_units_per_date_of_service() -> None:
    # 20610: MUE 2, MAI 2. Two lines of one and two units on one day: three.
    report = on(DAY, line("20610", modifiers=["RT"]), line("20610", units="2", modifiers=["LT"]))
    (f,) = only(report, "SCRUB_MUE_DOS")
    assert f.field == "lines[0].units"
    assert "MAI 2" in f.message and "lines 1, 2" in f.message


def test_mai_2_at_the_limit_passes() -> None:
    assert mue(on(DAY, line("20610", modifiers=["RT"]), line("20610", modifiers=["LT"]))) == []


def test_mai_2_on_different_days_is_not_summed() -> None:
    report = on(
        DAY, line("20610", units="2"), line("20610", units="2", service_date_from="2026-03-01")
    )
    assert mue(report) == []


def test_mai_3_sums_units_per_date_of_service() -> None:
    # 93000: MUE 3, MAI 3.
    report = on(DAY, line("93000", units="2"), line("93000", units="2", modifiers=["76"]))
    assert mue(report) == [("SCRUB_MUE_DOS", "lines[0].units")]
    assert "MAI 3" in only(report, "SCRUB_MUE_DOS")[0].message


def test_mai_3_single_line_over_the_limit() -> None:
    assert mue(on(DAY, line("93000", units="4"))) == [("SCRUB_MUE_DOS", "lines[0].units")]


def test_codes_without_an_mue_are_not_limited() -> None:
    assert mue(on(DAY, line("99215", units="40"))) == []


def test_mue_table_from_csv_drives_the_edit() -> None:
    tables = EditTables(
        ptp=PtpTable.of([]),
        mue=MueTable.of(parse_mue(["99213,1,1 Line Edit,Test"])),
    )
    report = scrub(clean_claim(line(units="2")), today=dt.date(2026, 3, 10), tables=tables)
    assert mue(report) == [("SCRUB_MUE_LINE", "lines[0].units")]
