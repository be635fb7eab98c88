"""Scrub edit: every value the 837P carries fits its X12 element, before anything is sent.

A value with an X12 delimiter would shift every later element (the payer reads another
member id, or rejects the file); a character outside the X12 character set is refused by
the payer's front end; a value longer than its element is cut or refused. None of that
heals by retrying, so it is found here, naming the claim's field, and the claim stops in
SCRUB_FAILED for the biller instead of failing when the 837P is written.

Names are checked as the renderer writes them (``claims.x12.text.name_value``:
transliterated where a standard way exists), identifiers exactly as given. The account
number is checked like an identifier although the 837P no longer carries it: payers'
835s and clearinghouses' reports echo it, so it must be writable in X12 too.

Messages never quote a patient's value (findings travel in events): they name the field,
the rule and the position; provider and payer values, which are not PHI, are quoted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from claims.findings import Finding, error
from claims.model import Address, Claim, Person, Provider
from claims.x12.text import Problem, ident_problem, name_value

_ADVICE = {
    "delimiter": "X12 uses it to separate data, so the payer would read a different value; "
    "remove it",
    "character": "write it in Latin letters (A-Z, digits, common punctuation)",
    "length": "shorten it",
}


@dataclass(frozen=True, slots=True)
class _Value:
    field: str
    element: str
    value: str
    name: bool  # written as a name (transliterated, capitals) rather than as-is
    limit: int
    minimum: int = 1
    phi: bool = True


def x12_value_findings(claim: Claim) -> list[Finding]:
    findings: list[Finding] = []
    for v in _values(claim):
        if v.name:
            written = name_value(v.value, v.limit)
            problem = written if isinstance(written, Problem) else None
        else:
            problem = ident_problem(v.value, v.minimum, v.limit)
        if problem is not None:
            findings.append(_finding(v, problem))
    return findings


def _finding(v: _Value, problem: Problem) -> Finding:
    quoted = "" if v.phi else f" {v.value!r}"
    show = problem.chars and not v.phi and problem.rule != "delimiter"
    shown = f" ({problem.chars!r})" if show else ""
    return error(
        f"SCRUB_X12_{problem.rule.upper()}",
        v.field,
        f"{v.field}{quoted} ({v.element}) {problem.detail}{shown}: {_ADVICE[problem.rule]}",
    )


def _values(claim: Claim) -> Iterator[_Value]:
    yield from _provider("billing_provider", "2010AA", claim.billing_provider)
    if claim.rendering_provider is not None:
        yield from _provider("rendering_provider", "2310B", claim.rendering_provider)
    has_patient = claim.patient is not None
    yield from _person("subscriber", "2010BA", claim.subscriber, address=not has_patient)
    yield _Value("subscriber.member_id", "2010BA NM109", claim.subscriber.member_id,
                 name=False, minimum=2, limit=80)  # fmt: skip
    if claim.patient is not None:
        yield from _person("patient", "2010CA", claim.patient, address=True)
    yield _Value("payer.name", "2010BB NM103", claim.payer.name, name=True, limit=60, phi=False)
    yield _Value("account_number", "an X12 identifier", claim.account_number, name=False,
                 limit=38)  # fmt: skip
    if claim.medical_record_number is not None:
        yield _Value("medical_record_number", "2300 REF*EA", claim.medical_record_number,
                     name=False, limit=50)  # fmt: skip
    if claim.prior_authorization:
        yield _Value("prior_authorization", "2300 REF*G1", claim.prior_authorization,
                     name=False, limit=50)  # fmt: skip
    if claim.frequency_code in ("7", "8") and claim.payer_claim_control_number:
        yield _Value("payer_claim_control_number", "2300 REF*F8",
                     claim.payer_claim_control_number, name=False, limit=50,
                     phi=False)  # fmt: skip
    for i, line in enumerate(claim.lines):
        if line.rendering_provider is not None:
            yield from _provider(f"lines[{i}].rendering_provider", "2420A",
                                 line.rendering_provider)  # fmt: skip


def _provider(path: str, loop: str, p: Provider) -> Iterator[_Value]:
    if p.name is not None:
        yield _Value(f"{path}.name", f"{loop} NM103", p.name, name=True, limit=60, phi=False)
    if p.last_name is not None:
        yield _Value(f"{path}.last_name", f"{loop} NM103", p.last_name, name=True, limit=60,
                     phi=False)  # fmt: skip
    if p.first_name is not None:
        yield _Value(f"{path}.first_name", f"{loop} NM104", p.first_name, name=True, limit=35,
                     phi=False)  # fmt: skip
    if p.address is not None and loop == "2010AA":
        yield from _address(f"{path}.address", loop, p.address, phi=False)


def _person(path: str, loop: str, p: Person, *, address: bool) -> Iterator[_Value]:
    yield _Value(f"{path}.last_name", f"{loop} NM103", p.last_name, name=True, limit=60)
    yield _Value(f"{path}.first_name", f"{loop} NM104", p.first_name, name=True, limit=35)
    if address and p.address is not None:
        yield from _address(f"{path}.address", loop, p.address, phi=True)


def _address(path: str, loop: str, a: Address, *, phi: bool) -> Iterator[_Value]:
    yield _Value(f"{path}.line1", f"{loop} N301", a.line1, name=True, limit=55, phi=phi)
    if a.line2:
        yield _Value(f"{path}.line2", f"{loop} N302", a.line2, name=True, limit=55, phi=phi)
    yield _Value(f"{path}.city", f"{loop} N401", a.city, name=True, limit=30, phi=phi)
