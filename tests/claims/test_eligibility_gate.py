"""What a claim does with a 271 before submission, and when it is checked again."""

from __future__ import annotations

import datetime as dt

import pytest

from claims.eligibility import EligibilityResult, EligibilityStatus, RejectReason
from claims.eligibility_gate import coverage_key, late_answer, needs_check, verdict
from claims.findings import Severity
from tests.claims.claims_testkit import clean_claim, line

T = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
MONTH = dt.timedelta(days=30)
ST = EligibilityStatus


def test_first_check_is_always_due_then_only_when_old_or_changed() -> None:
    claim = clean_claim(line())
    key = coverage_key(claim)
    assert needs_check(claim, last_key=None, last_at=None, now=T, recheck_after=MONTH)
    assert not needs_check(claim, last_key=key, last_at=T, now=T + MONTH, recheck_after=MONTH)
    later = T + MONTH + dt.timedelta(seconds=1)
    assert needs_check(claim, last_key=key, last_at=T, now=later, recheck_after=MONTH)
    other = claim.model_copy(
        update={"subscriber": claim.subscriber.model_copy(update={"member_id": "NEW1"})}
    )
    assert needs_check(other, last_key=key, last_at=T, now=T, recheck_after=MONTH)


def test_coverage_key_holds_no_member_id() -> None:
    claim = clean_claim(line())
    key = coverage_key(claim)
    assert len(key) == 64 and claim.subscriber.member_id not in key
    # Codes and charges do not change what eligibility is about.
    assert coverage_key(claim.model_copy(update={"diagnoses": ["I10"]})) == key


def test_active_goes_on_quietly() -> None:
    course = verdict(EligibilityResult(status=ST.ACTIVE))
    assert (course.hold, course.findings, course.alert) == (False, (), None)


def test_inactive_holds_with_the_termination_date() -> None:
    result = EligibilityResult(status=ST.INACTIVE, coverage_end=dt.date(2026, 1, 31))
    course = verdict(result)
    [finding] = course.findings
    assert course.hold and course.alert is None
    assert (finding.code, finding.severity) == ("ELIGIBILITY_INACTIVE", Severity.ERROR)
    assert "terminated on 2026-01-31" in finding.message


def test_not_found_holds_quoting_the_aaa_reason_and_follow_up() -> None:
    reject = RejectReason(loop="2100C", valid_request=False, reason="72", follow_up="C")
    course = verdict(EligibilityResult(status=ST.NOT_FOUND, rejections=(reject,)))
    [finding] = course.findings
    assert course.hold and finding.code == "ELIGIBILITY_NOT_FOUND"
    assert "AAA 72 in loop 2100C" in finding.message
    assert "please correct and resubmit (C)" in finding.message


@pytest.mark.parametrize("status", [ST.TIMEOUT, ST.ERROR])
def test_no_answer_goes_on_with_a_warning_and_an_alert(status: ST) -> None:
    course = verdict(EligibilityResult(status=status, message="nobody home"))
    [finding] = course.findings
    assert not course.hold and course.alert is not None
    assert (finding.code, finding.severity) == ("ELIGIBILITY_UNANSWERED", Severity.WARNING)
    assert "nobody home" in finding.message


def test_pending_file_exchange_goes_on_with_a_warning_only() -> None:
    course = verdict(EligibilityResult(status=ST.PENDING, message="270-000000001.x12 sent"))
    [finding] = course.findings
    assert not course.hold and course.alert is None
    assert finding.code == "ELIGIBILITY_PENDING" and "270-000000001.x12" in finding.message


def test_a_late_271_without_coverage_is_noted_and_alerts_quoting_the_payer() -> None:
    reject = RejectReason(loop="2100C", valid_request=False, reason="72", follow_up="C")
    late = late_answer(EligibilityResult(status=ST.NOT_FOUND, rejections=(reject,)), "T1", "x")
    assert late.note.startswith("late 271 to the eligibility check T1, after x: no coverage")
    assert "AAA 72 in loop 2100C" in late.note
    assert late.alert is not None and late.note in late.alert
    assert "bill the patient" in late.alert


@pytest.mark.parametrize("status", [ST.ACTIVE, ST.ERROR])
def test_a_late_271_with_coverage_or_no_answer_is_only_noted(status: ST) -> None:
    late = late_answer(EligibilityResult(status=status, message="busy"), "T2", "x")
    assert late.alert is None
    assert ("coverage active" if status is ST.ACTIVE else "error: busy") in late.note
