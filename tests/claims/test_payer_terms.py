"""A claim inherits its payer's terms from the registry; its own terms win, and are noted."""

from __future__ import annotations

from claims.model import DEFAULT_FURTHER_APPEAL_WINDOWS_DAYS, Claim
from claims.payer_terms import PayerTerms, inherit_terms
from tests.claims.claims_testkit import claim_data

REGISTRY = PayerTerms(payer_id="SIMPAYER1", name="Sim", filing_limit_days=90,
                      appeal_window_days=60, further_appeal_windows_days=[30, 30])  # fmt: skip


def claim(**payer: object) -> Claim:
    data = claim_data()
    data["payer"] = {"payer_id": "SIMPAYER1", "name": "Sim", **payer}
    return Claim.model_validate(data)


def test_a_claim_inherits_the_registry_terms() -> None:
    inherited, findings = inherit_terms(claim(), REGISTRY)
    assert findings == ()
    payer = inherited.payer
    assert (payer.filing_limit_days, payer.appeal_window_days) == (90, 60)
    assert payer.max_appeal_level == 3


def test_the_claims_own_terms_win_and_are_recorded() -> None:
    inherited, findings = inherit_terms(claim(appeal_window_days=200), REGISTRY)
    assert inherited.payer.appeal_window_days == 200
    assert inherited.payer.filing_limit_days == 90  # the rest still from the registry
    [finding] = findings
    assert finding.code == "INTAKE_PAYER_TERM_OVERRIDE"
    assert finding.field == "payer.appeal_window_days" and "200" in finding.message


def test_a_term_equal_to_the_registry_is_no_override() -> None:
    _, findings = inherit_terms(claim(appeal_window_days=60), REGISTRY)
    assert findings == ()


def test_an_unknown_payer_keeps_the_claims_terms_and_documented_defaults() -> None:
    inherited, findings = inherit_terms(claim(filing_limit_days=30), None)
    assert inherited.payer.filing_limit_days == 30
    assert inherited.payer.further_appeal_windows_days == list(DEFAULT_FURTHER_APPEAL_WINDOWS_DAYS)
    [finding] = findings
    assert finding.code == "INTAKE_PAYER_UNKNOWN" and "filing_limit_days" in finding.message
