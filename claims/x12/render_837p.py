"""Claims out to a payer as an 837P (005010X222A1).

Each claim goes into its own transaction set by default (``claims_per_transaction=1``):
a 999 accepts or rejects whole transaction sets, so one claim with a syntax error then
rejects only itself, and ``transaction_claim_ids`` maps each ST02 back to its claims for
reading that 999. With larger sets, claims of the same billing provider share one 2000A
and claims of the same subscriber and payer share one 2000B, as the guide asks.

What the guide asks beyond the syntax:

* CLM01 is the claim's 20-character patient control number (``claims.x12.control``), not
  its 26-character id: payers return only 20 characters in CLP01/TRN02. The caller passes
  the numbers it recorded (``control_numbers``); the default derives them.
* When the patient is not the subscriber (2000C), the subscriber loop 2010BA carries no
  address (N3/N4) and no birth date (DMG): the guide sends them only for a subscriber who
  is the patient.
* Providers are named as what they are: a person NM102 = 1 with last and first name, an
  organisation NM102 = 2 with its name. A line's rendering provider (2420A) goes out only
  when it differs from the claim's, with its own name.
* REF*EA is the medical record number, sent only when there is one; the submitter's
  account number is PHI and is not sent (CLM01's mapping replaces it).

Values go through ``claims.x12.text`` (the scrubber's rule): a claim the scrub stage would
have stopped, or a party the guide requires and the model leaves optional, is refused with
``RenderError`` rather than written wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from claims.model import (
    Address,
    Claim,
    CobAdjustment,
    OtherCoverage,
    Person,
    Provider,
    ServiceLine,
)
from claims.x12.control import LENGTH, patient_control_number
from claims.x12.envelope import Envelope, Writer, date8, money, number, period
from claims.x12.text import Problem, ident_problem, name_value

VERSION = "005010X222A1"
# The guide allows 100 claims (2300) under one subscriber or patient loop.
_CLAIMS_PER_SUBSCRIBER = 100


class RenderError(ValueError):
    """A claim the model accepts but the 837P guide cannot carry as it stands."""


def _claims_of(claims: Sequence[Claim], per: int) -> list[Sequence[Claim]]:
    if per < 1:
        raise ValueError("claims_per_transaction must be at least 1")
    return [claims[i : i + per] for i in range(0, len(claims), per)]


def transaction_claim_ids(
    claims: Sequence[Claim], *, envelope: Envelope, claims_per_transaction: int = 1
) -> dict[str, tuple[str, ...]]:
    """ST02 -> claim ids, as ``render_837p`` numbers them: the lookup a 999 is read with."""
    return {
        envelope.next_transaction_set(k): tuple(c.claim_id or "" for c in chunk)
        for k, chunk in enumerate(_claims_of(claims, claims_per_transaction))
    }


ControlNumbers = Callable[[str], str]


def render_837p(
    claims: Sequence[Claim],
    *,
    envelope: Envelope,
    claims_per_transaction: int = 1,
    claim_filing_indicator: str = "CI",
    control_numbers: ControlNumbers = patient_control_number,
) -> str:
    """One interchange holding ``claims``; ``claim_filing_indicator`` is SBR09;
    ``control_numbers`` gives each claim id's CLM01."""
    if not claims:
        raise ValueError("an 837P needs at least one claim")
    w = Writer(envelope)
    w.begin_interchange("HC", VERSION)
    for chunk in _claims_of(claims, claims_per_transaction):
        _transaction(w, chunk, claim_filing_indicator, control_numbers)
    return w.end_interchange()


def _name(text: str, limit: int, what: str, claim: Claim, w: Writer) -> str:
    written = name_value(text, limit, w.d)
    if isinstance(written, Problem):
        raise RenderError(f"claim {claim.claim_id}: {what} {written.detail}")
    return written


def _ident(value: str, what: str, claim: Claim, w: Writer, *, limit: int, minimum: int = 1) -> str:
    problem = ident_problem(value, minimum, limit, w.d)
    if problem is not None:
        raise RenderError(f"claim {claim.claim_id}: {what} {problem.detail}")
    return value


def _transaction(
    w: Writer, claims: Sequence[Claim], filing: str, control_numbers: ControlNumbers
) -> None:
    e = w.envelope
    control = w.begin_transaction("837", VERSION)
    w.seg(
        "BHT", "0019", "00", f"{e.interchange_control_number}-{control}",
        date8(e.created.date()), e.created.strftime("%H%M"), "CH",
    )  # fmt: skip
    w.seg("NM1", "41", "2", w.clean(e.sender_name, 60), "", "", "", "", "46", e.sender_id)
    w.seg("PER", "IC", w.clean(e.contact_name, 60), "TE", e.contact_phone)
    w.seg("NM1", "40", "2", w.clean(e.receiver_name, 60), "", "", "", "", "46", e.receiver_id)
    hl = 0
    for by_provider in _group(claims, _provider_key):
        hl += 1
        provider_hl = hl
        w.seg("HL", str(provider_hl), "", "20", "1")
        _billing_provider(w, by_provider[0].billing_provider, by_provider[0])
        for by_subscriber in _group(by_provider, _subscriber_key, _CLAIMS_PER_SUBSCRIBER):
            hl += 1
            first = by_subscriber[0]
            has_patient = first.patient is not None
            w.seg("HL", str(hl), str(provider_hl), "22", "1" if has_patient else "0")
            w.seg(
                "SBR", first.responsibility, "" if has_patient else "18", "", "", "", "", "",
                "", filing,
            )  # fmt: skip
            # 2010BA N3/N4 and DMG only when the subscriber is the patient.
            _person(w, "IL", first.subscriber, demographics=not has_patient, claim=first)
            payer_id = _ident(first.payer.payer_id, "the payer id", first, w, limit=80, minimum=2)
            payer_name = _name(first.payer.name, 60, "the payer's name", first, w)
            w.seg("NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id)
            if first.patient is not None:
                hl += 1
                w.seg("HL", str(hl), str(hl - 1), "23", "0")
                w.seg("PAT", first.patient.relationship)
                _person(w, "QC", first.patient, demographics=True, claim=first)
            for claim in by_subscriber:
                _claim(w, claim, control_numbers)
    w.end_transaction(control)


def _provider_key(claim: Claim) -> str:
    return claim.billing_provider.model_dump_json()


def _subscriber_key(claim: Claim) -> str:
    # The payer too: one 2000B names one payer (2010BB). JSON, as Payer holds a list.
    parts = (claim.subscriber, claim.payer, claim.patient)
    return "|".join(p.model_dump_json() if p is not None else "" for p in parts)


def _group(
    claims: Sequence[Claim], key: Callable[[Claim], str], most: int | None = None
) -> list[list[Claim]]:
    """Claims with equal ``key`` together, in first-seen order, ``most`` to a group."""
    groups: dict[str, list[Claim]] = {}
    for claim in claims:
        groups.setdefault(key(claim), []).append(claim)
    if most is None:
        return list(groups.values())
    return [g[i : i + most] for g in groups.values() for i in range(0, len(g), most)]


def _address(w: Writer, address: Address, what: str, claim: Claim) -> None:
    line2 = _name(address.line2, 55, f"{what} line 2", claim, w) if address.line2 else ""
    w.seg("N3", _name(address.line1, 55, f"{what} line 1", claim, w), line2)
    w.seg("N4", _name(address.city, 30, f"{what} city", claim, w), address.state,
          address.postal_code)  # fmt: skip


def _provider_nm1(w: Writer, entity: str, provider: Provider, what: str, claim: Claim) -> None:
    """NM1 of a provider: a person by last and first name (NM102 1), else an organisation."""
    if provider.last_name is not None:
        first = provider.first_name
        w.seg(
            "NM1", entity, "1", _name(provider.last_name, 60, f"{what}'s last name", claim, w),
            _name(first, 35, f"{what}'s first name", claim, w) if first else "", "", "", "",
            "XX", provider.npi,
        )  # fmt: skip
        return
    assert provider.name is not None  # the model gives a provider one of the two names
    w.seg("NM1", entity, "2", _name(provider.name, 60, f"{what}'s name", claim, w), "", "", "",
          "", "XX", provider.npi)  # fmt: skip


def _billing_provider(w: Writer, provider: Provider, claim: Claim) -> None:
    if provider.address is None:
        raise RenderError(f"claim {claim.claim_id}: the billing provider's address (2010AA N3/N4)")
    if provider.tax_id is None:
        raise RenderError(f"claim {claim.claim_id}: the billing provider's tax id (REF*EI)")
    if provider.taxonomy:
        w.seg("PRV", "BI", "PXC", provider.taxonomy)
    _provider_nm1(w, "85", provider, "the billing provider", claim)
    _address(w, provider.address, "the billing provider's address", claim)
    w.seg("REF", "EI", provider.tax_id)


def _person(w: Writer, entity: str, person: Person, *, demographics: bool, claim: Claim) -> None:
    """2010BA (IL) or 2010CA (QC); ``demographics``: N3/N4 and DMG, which the guide wants
    for the patient only (2010CA, or 2010BA when the subscriber is the patient)."""
    who = "the subscriber" if entity == "IL" else "the patient"
    member = (
        _ident(person.member_id, "the member id", claim, w, limit=80, minimum=2)
        if entity == "IL"
        else ""
    )
    w.seg(
        "NM1", entity, "1", _name(person.last_name, 60, f"{who}'s last name", claim, w),
        _name(person.first_name, 35, f"{who}'s first name", claim, w),
        "", "", "", "MI" if member else "", member,
    )  # fmt: skip
    if not demographics:
        return
    if person.address is None:
        raise RenderError(f"claim {claim.claim_id}: the patient's address (N3/N4)")
    if person.date_of_birth is None:
        raise RenderError(f"claim {claim.claim_id}: the patient's birth date (DMG)")
    _address(w, person.address, f"{who}'s address", claim)
    w.seg("DMG", "D8", date8(person.date_of_birth), person.sex)


def _claim(w: Writer, claim: Claim, control_numbers: ControlNumbers) -> None:
    if claim.claim_id is None:
        raise RenderError("a claim without claim_id cannot be sent: CLM01 maps to the claim id")
    if claim.frequency_code in ("7", "8") and not claim.payer_claim_control_number:
        raise RenderError(
            f"claim {claim.claim_id}: frequency {claim.frequency_code} needs the payer's "
            "claim control number (REF*F8)"
        )
    pcn = control_numbers(claim.claim_id)
    pcn = _ident(pcn, "the patient control number (CLM01)", claim, w, limit=LENGTH)
    w.seg(
        "CLM", pcn, money(claim.total_charge), "", "",
        w.comp(claim.place_of_service, "B", claim.frequency_code), "Y", "A", "Y", "Y",
    )  # fmt: skip
    refs = (
        ("G1", claim.prior_authorization, "the prior authorization"),
        ("F8", claim.payer_claim_control_number if claim.frequency_code in ("7", "8") else None,
         "the payer claim control number"),
        ("EA", claim.medical_record_number, "the medical record number"),
    )  # fmt: skip
    for qualifier, value, what in refs:
        if value:
            w.seg("REF", qualifier, _ident(value, what, claim, w, limit=50))
    codes = [w.comp("ABK" if i == 0 else "ABF", dx) for i, dx in enumerate(claim.diagnoses)]
    w.seg("HI", *codes)
    rendering = claim.rendering_provider
    if rendering is not None and rendering.npi != claim.billing_provider.npi:
        _provider_nm1(w, "82", rendering, "the rendering provider", claim)
        if rendering.taxonomy:
            w.seg("PRV", "PE", "PXC", rendering.taxonomy)
    for coverage in claim.other_coverages:
        _other_coverage(w, claim, coverage)
    claim_rendering = rendering.npi if rendering else claim.billing_provider.npi
    for n, line in enumerate(claim.lines, start=1):
        _line(w, claim, line, n, claim_rendering)


def _known_provider(claim: Claim, npi: str) -> Provider | None:
    """A provider named somewhere on the claim with this NPI (a line may give only the NPI
    of a provider the claim names in full)."""
    named = [claim.billing_provider, claim.rendering_provider]
    named += [line.rendering_provider for line in claim.lines]
    return next((p for p in named if p is not None and p.npi == npi), None)


def _line(w: Writer, claim: Claim, line: ServiceLine, n: int, claim_rendering: str) -> None:
    w.seg("LX", str(n))
    pos = line.place_of_service if line.place_of_service != claim.place_of_service else None
    w.seg(
        "SV1", w.comp("HC", line.procedure_code, *line.modifiers), money(line.charge), "UN",
        number(line.units), pos or "", "", w.comp(*(str(p) for p in line.diagnosis_pointers)),
    )  # fmt: skip
    w.seg("DTP", "472", *period(line.service_date_from, line.service_date_to))
    if line.rendering_npi and line.rendering_npi != claim_rendering:
        # 2420A only when the line's rendering provider differs from the claim's.
        provider = line.rendering_provider or _known_provider(claim, line.rendering_npi)
        if provider is None:
            raise RenderError(
                f"claim {claim.claim_id}: line {n}'s rendering provider has an NPI but no "
                "name (2420A NM103); give lines[].rendering_provider"
            )
        _provider_nm1(w, "82", provider, f"line {n}'s rendering provider", claim)
    for coverage in claim.other_coverages:
        _line_adjudication(w, claim, coverage, line, n)


# ----------------------------------------------------------------- coordination of benefits


def _cas(w: Writer, adjustments: Sequence[CobAdjustment]) -> None:
    """CAS segments: one per group code, at most six reason/amount triplets each."""
    by_group: dict[str, list[CobAdjustment]] = {}
    for a in adjustments:
        if a.amount:
            by_group.setdefault(a.group, []).append(a)
    for group, items in by_group.items():
        for i in range(0, len(items), 6):
            triplets = [x for a in items[i : i + 6] for x in (a.carc, money(a.amount), "")]
            w.seg("CAS", group, *triplets[:-1])


def _other_coverage(w: Writer, claim: Claim, cov: OtherCoverage) -> None:
    """2320 (SBR, CAS, AMT*D, AMT*EAF, OI), 2330A (the other subscriber), 2330B (the other
    payer). A payer that decided before this claim's has AMT*D and its claim-level CAS."""
    w.seg("SBR", cov.responsibility, cov.relationship, "", "", "", "", "", "",
          cov.filing_indicator)  # fmt: skip
    adj = cov.adjudication
    if adj is not None:
        _cas(w, adj.claim_adjustments)
        w.seg("AMT", "D", money(adj.paid))
        if adj.remaining_patient_liability is not None:
            w.seg("AMT", "EAF", money(adj.remaining_patient_liability))
    w.seg("OI", "", "", "Y", "", "", "Y")
    sub = cov.subscriber
    member = _ident(sub.member_id, "the other subscriber's member id", claim, w, limit=80,
                    minimum=2)  # fmt: skip
    w.seg(
        "NM1", "IL", "1", _name(sub.last_name, 60, "the other subscriber's last name", claim, w),
        _name(sub.first_name, 35, "the other subscriber's first name", claim, w), "", "", "",
        "MI", member,
    )  # fmt: skip
    payer_id = _ident(cov.payer.payer_id, "the other payer id", claim, w, limit=80, minimum=2)
    payer_name = _name(cov.payer.name, 60, "the other payer's name", claim, w)
    w.seg("NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id)
    if adj is not None and not adj.lines:
        # Decided at claim level only: the date goes here, not in 2430.
        w.seg("DTP", "573", "D8", date8(adj.adjudicated_on))
    if adj is not None and adj.payer_claim_control_number:
        ccn = _ident(adj.payer_claim_control_number, "the other payer's claim number", claim, w,
                     limit=50)  # fmt: skip
        w.seg("REF", "F8", ccn)


def _line_adjudication(
    w: Writer, claim: Claim, cov: OtherCoverage, line: ServiceLine, n: int
) -> None:
    """2430: what the other payer decided for this line (SVD, CAS, DTP*573)."""
    adj = cov.adjudication
    prior = next((p for p in adj.lines if p.line == n), None) if adj is not None else None
    if adj is None or prior is None:
        return
    w.seg(
        "SVD", cov.payer.payer_id, money(prior.paid),
        w.comp("HC", line.procedure_code, *line.modifiers), "", number(line.units),
    )  # fmt: skip
    _cas(w, prior.adjustments)
    w.seg("DTP", "573", "D8", date8(adj.adjudicated_on))
