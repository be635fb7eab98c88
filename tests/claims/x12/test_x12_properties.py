"""Property tests: on any input every parser returns a result or raises ``X12Error``.

Inputs are random bytes and random damage to valid files (truncation, deleted or
duplicated segments, swapped delimiters, flipped characters). An ``X12Error`` whose
message says "internal error" means a parser bug was caught by the safety net; that fails
too. Rendering is checked the other way: any claim the model accepts either fails the scrub's
X12 value checks (and cannot render) or renders to an 837P our reader reads back to the same
control numbers and amounts. ``test_x12_pcn_properties`` adds pyx12, imsweb and the payer's
answer.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from x12_testkit import envelope, sample, ulid

from claims.model import Claim
from claims.npi import make_npi
from claims.x12.ack_999 import parse_999
from claims.x12.balance_835 import check_balancing
from claims.x12.control import patient_control_number as pcn
from claims.x12.eligibility_270 import parse_270
from claims.x12.errors import X12Error
from claims.x12.read_271 import parse_271
from claims.x12.read_837p import parse_837p
from claims.x12.remit_835 import parse_835, to_remittance
from claims.x12.render_837p import RenderError, render_837p
from claims.x12.status_277ca import parse_277ca
from claims.x12_values import x12_value_findings
from tests.claims.claims_testkit import claim_data, line

PARSERS: dict[str, Callable[[str | bytes], Any]] = {
    "era_mixed_outcomes.835": parse_835,
    "era_pipe_style.835": parse_835,
    "claim_pipe_style.837": parse_837p,
    "ack_partial.999": parse_999,
    "status_mixed.277": parse_277ca,
    "eligibility_request.270": parse_270,
    "eligibility_active.271": parse_271,
    "eligibility_inactive.271": parse_271,
    "eligibility_not_found.271": parse_271,
}
SAMPLES = {name: sample(name) for name in PARSERS}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(parse: Callable[[str | bytes], Any], data: str | bytes) -> None:
    """A result (and, for an 835, a balancing check and mapping that also never raise)."""
    try:
        result = parse(data)
    except X12Error as exc:
        assert "internal error" not in str(exc), str(exc)
        assert exc.position is None or exc.position.index >= 1
        return
    if parse is parse_835:
        for era in result:
            check_balancing(era)
            for i, claim in enumerate(era.claims):
                to_remittance(claim, remittance_id=f"r{i}")


@FAST
@given(st.binary(max_size=600), st.sampled_from(sorted(PARSERS)))
def test_random_bytes(data: bytes, name: str) -> None:
    outcome(PARSERS[name], data)


@FAST
@given(st.binary(max_size=400), st.sampled_from(sorted(PARSERS)))
def test_random_bytes_after_a_valid_isa(tail: bytes, name: str) -> None:
    outcome(PARSERS[name], SAMPLES[name][:106].encode() + tail)


@FAST
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_truncation(name: str, data: st.DataObject) -> None:
    text = SAMPLES[name]
    cut = data.draw(st.integers(0, len(text)))
    outcome(PARSERS[name], text[:cut])


def segments_of(text: str) -> tuple[str, list[str]]:
    term = text[105]
    return term, text.split(term)[:-1]


@FAST
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_deleted_or_duplicated_segments(name: str, data: st.DataObject) -> None:
    term, segments = segments_of(SAMPLES[name])
    i = data.draw(st.integers(1, len(segments) - 1))
    if data.draw(st.booleans()):
        segments = segments[:i] + segments[i + 1 :]
    else:
        segments = segments[: i + 1] + segments[i:]
    outcome(PARSERS[name], term.join(segments) + term)


@FAST
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_swapped_segments(name: str, data: st.DataObject) -> None:
    term, segments = segments_of(SAMPLES[name])
    i = data.draw(st.integers(1, len(segments) - 1))
    j = data.draw(st.integers(1, len(segments) - 1))
    segments[i], segments[j] = segments[j], segments[i]
    outcome(PARSERS[name], term.join(segments) + term)


@FAST
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_swapped_delimiters(name: str, data: st.DataObject) -> None:
    text = SAMPLES[name]
    pool = sorted(set(text[105] + text[3] + text[104] + text[82] + "|>!~*:^+"))
    a = data.draw(st.sampled_from(pool))
    b = data.draw(st.sampled_from(pool))
    start = data.draw(st.integers(0, len(text)))
    swapped = text[start:].translate(str.maketrans({a: b, b: a}))
    outcome(PARSERS[name], text[:start] + swapped)


@FAST
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_flipped_characters(name: str, data: st.DataObject) -> None:
    chars = list(SAMPLES[name])
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(chars) - 1))
        chars[i] = data.draw(st.characters(codec="latin-1"))
    outcome(PARSERS[name], "".join(chars))


@FAST
@given(st.sampled_from(sorted(PARSERS)), st.data())
def test_replaced_elements(name: str, data: st.DataObject) -> None:
    """An element replaced by an edge value: empty, huge, negative, not a number..."""
    text = SAMPLES[name]
    element = text[3]
    cuts = [i for i, c in enumerate(text) if c == element and i > 106]
    i = data.draw(st.sampled_from(cuts))
    end = min(
        (k for k in (text.find(element, i + 1), text.find(text[105], i + 1)) if k != -1),
        default=len(text),
    )
    value = data.draw(
        st.sampled_from(["", "-", ".", "-0", "9" * 30, "1e5", "NaN", "-1.5", "20261301", "ZZ"])
        | st.text(st.characters(codec="ascii", exclude_characters=text[105]), max_size=12)
    )
    outcome(PARSERS[name], text[: i + 1] + value + text[end:])


# ------------------------------------------------------------------- render side

# Any Latin-1 text with at least one letter or digit: names X12 can carry as they are, after
# transliteration, or not at all (the scrub refuses those, and so does the renderer).
names = st.text(st.characters(codec="latin-1", categories=["L", "N", "P", "S", "Zs"]),
                min_size=1, max_size=40).filter(lambda s: any(c.isascii() and c.isalnum()
                                                              for c in s))  # fmt: skip
money = st.decimals(Decimal("0.01"), Decimal("99999.99"), places=2)


@st.composite
def claims(draw: st.DrawFn, n: int) -> Claim:
    lines = [
        line(
            draw(st.from_regex(r"\A[A-Z0-9]{5}\Z")),
            charge=str(draw(money)),
            modifiers=draw(st.lists(st.from_regex(r"\A[A-Z0-9]{2}\Z"), max_size=4)),
            units=str(draw(st.decimals(Decimal("0.001"), Decimal("9999"), places=3))),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    data = claim_data(*lines)
    data["subscriber"]["last_name"] = draw(names)
    data["billing_provider"]["name"] = draw(names)
    data["billing_provider"]["npi"] = make_npi(draw(st.from_regex(r"\A[12][0-9]{8}\Z")))
    data["frequency_code"] = draw(st.sampled_from(["1", "7", "8"]))
    data["payer_claim_control_number"] = "PCN1"
    return Claim.model_validate(data).with_id(ulid(n))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=6, unique=True), st.data())
def test_any_claim_renders_and_reads_back_or_fails_scrub(
    numbers: list[int], data: st.DataObject
) -> None:
    """A claim whose values X12 cannot carry fails scrub and cannot render; any other renders
    with a CLM01 of at most 20 characters and reads back to the same amounts."""
    batch = [data.draw(claims(n)) for n in numbers]
    per = data.draw(st.integers(1, 6))
    if any(x12_value_findings(c) for c in batch):
        with pytest.raises(RenderError):
            render_837p(batch, envelope=envelope(), claims_per_transaction=per)
        return
    text = render_837p(batch, envelope=envelope(), claims_per_transaction=per)
    back = {c.claim_id: c for c in parse_837p(text)}
    assert set(back) == {pcn(c.claim_id or "") for c in batch}
    for claim in batch:
        sent = back[pcn(claim.claim_id or "")]
        assert len(sent.claim_id) <= 20
        assert sent.total_charge == claim.total_charge
        assert [ln.charge for ln in sent.lines] == [ln.charge for ln in claim.lines]
        assert [ln.units for ln in sent.lines] == [ln.units for ln in claim.lines]
