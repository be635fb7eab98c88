"""Every value the 837P carries is checked at scrub (claims.x12_values), naming the field.

Issue 15 #6 and issue 11 #1: a delimiter, a character outside the X12 set or a value longer
than its element stops the claim in SCRUB_FAILED with a finding, instead of failing (or
going out wrong) when the 837P is written.
"""

from __future__ import annotations

from typing import Any

import pytest
from claims_testkit import TODAY, claim_data, clean_claim, line

from claims.findings import Finding
from claims.model import Claim
from claims.scrub import scrub
from claims.x12.render_837p import render_837p
from claims.x12.text import name_value, transliterate
from tests.claims.x12.x12_testkit import dependent, envelope, ulid


def findings(**changes: Any) -> list[Finding]:
    data = claim_data()
    for path, value in changes.items():
        node = data
        *head, last = path.split("__")
        for part in head:
            node = node[part]
        node[last] = value
    return [f for f in scrub(Claim.model_validate(data), today=TODAY).errors]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"subscriber__member_id": "XJH*1"}, "subscriber.member_id", "SCRUB_X12_DELIMITER"),
        ({"account_number": "ACCT~1"}, "account_number", "SCRUB_X12_DELIMITER"),
        ({"prior_authorization": "PA:1"}, "prior_authorization", "SCRUB_X12_DELIMITER"),
        ({"medical_record_number": "MR^7"}, "medical_record_number", "SCRUB_X12_DELIMITER"),
        ({"subscriber__last_name": "李"}, "subscriber.last_name", "SCRUB_X12_CHARACTER"),
        ({"subscriber__first_name": "Алексей"}, "subscriber.first_name", "SCRUB_X12_CHARACTER"),
        ({"subscriber__member_id": "MEMBER\u00a01"}, "subscriber.member_id",
         "SCRUB_X12_CHARACTER"),
        ({"subscriber__member_id": "M"}, "subscriber.member_id", "SCRUB_X12_LENGTH"),
        ({"subscriber__first_name": "A" * 36}, "subscriber.first_name", "SCRUB_X12_LENGTH"),
        ({"billing_provider__name": "Springfield*Clinic"}, "billing_provider.name",
         "SCRUB_X12_DELIMITER"),
        ({"billing_provider__address": {"line1": "1 Main St~", "city": "Springfield",
                                        "state": "IL", "postal_code": "627011234"}},
         "billing_provider.address.line1", "SCRUB_X12_DELIMITER"),
        ({"payer__name": "Acme:Health"}, "payer.name", "SCRUB_X12_DELIMITER"),
    ],
)  # fmt: skip
def test_a_value_x12_cannot_carry_fails_scrub_naming_the_field(
    change: dict[str, Any], field: str, code: str
) -> None:
    (f,) = findings(**change)
    assert (f.code, f.field) == (code, field)
    assert f.message.startswith(field)


def test_messages_never_quote_a_patients_value_but_do_quote_a_providers() -> None:
    (member,) = findings(subscriber__member_id="SECRET*42")
    assert "SECRET" not in member.message and "'*' (position 7)" in member.message
    (name,) = findings(subscriber__last_name="王小明")
    assert "王" not in name.message
    (provider,) = findings(billing_provider__name="Clinic*One")
    assert "'Clinic*One'" in provider.message


def test_accents_are_transliterated_not_refused() -> None:
    claim = clean_claim(
        subscriber=dict(claim_data()["subscriber"], last_name="Núñez-Ørsted", first_name="Zoë")
    )
    assert scrub(claim, today=TODAY).ok
    text = render_837p([claim.with_id(ulid(1))], envelope=envelope())
    assert "NM1*IL*1*NUNEZ-ORSTED*ZOE*" in text
    assert transliterate("Straße Łódź") == "Strasse Lodz"
    assert name_value("  jean   luc ", 35) == "JEAN LUC"


def test_a_cjk_only_name_never_becomes_a_blank_nm103() -> None:
    """The name only in CJK: refused at scrub, and the renderer refuses it too."""
    claim = clean_claim(patient=dependent(last_name="山田", first_name="太郎")).with_id(ulid(2))
    codes = {(f.code, f.field) for f in scrub(claim, today=TODAY).errors}
    assert codes == {
        ("SCRUB_X12_CHARACTER", "patient.last_name"),
        ("SCRUB_X12_CHARACTER", "patient.first_name"),
    }
    from claims.x12.render_837p import RenderError

    with pytest.raises(RenderError, match="last name"):
        render_837p([claim], envelope=envelope())


def test_only_values_the_837p_sends_are_checked() -> None:
    """A dependent's claim sends no subscriber address, so its content does not matter."""
    sub = dict(claim_data()["subscriber"])
    sub["address"] = {"line1": "1 ~ St", "city": "X", "state": "IL", "postal_code": "62701"}
    claim = clean_claim(subscriber=sub, patient=dependent())
    assert scrub(claim, today=TODAY).ok
    # ... and a replacement's REF*F8 only for frequency 7 and 8.
    assert scrub(clean_claim(line(), payer_claim_control_number="A*B"), today=TODAY).ok
