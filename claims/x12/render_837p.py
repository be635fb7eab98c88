"""Claims out to a payer as an 837P (005010X222A1).

Each claim goes into its own transaction set by default (``claims_per_transaction=1``):
a 999 accepts or rejects whole transaction sets, so one claim with a syntax error then
rejects only itself, and ``transaction_claim_ids`` maps each ST02 back to its claims for
reading that 999. With larger sets, claims of the same billing provider share one 2000A
and claims of the same subscriber and payer share one 2000B, as the guide asks.

CLM01 is the claim's own id (a ULID), so every 277CA TRN02 and 835 CLP01 comes back to
it; the submitter's account number rides along as REF*EA. Parties the model leaves
optional but the guide requires (billing address and tax id, the patient's address) are
refused with ``RenderError``: the scrub stage reports them to the biller first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from claims.model import Address, Claim, Person, Provider, ServiceLine
from claims.x12.envelope import Envelope, Writer, date8, money, number, period

VERSION = "005010X222A1"
# The guide allows 100 claims (2300) under one subscriber or patient loop.
_CLAIMS_PER_SUBSCRIBER = 100
# 2420A needs a name, but the claim model carries only a line's rendering NPI.
_LINE_RENDERING_NAME = "RENDERING PROVIDER"


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


def render_837p(
    claims: Sequence[Claim],
    *,
    envelope: Envelope,
    claims_per_transaction: int = 1,
    claim_filing_indicator: str = "CI",
) -> str:
    """One interchange holding ``claims``; ``claim_filing_indicator`` is SBR09."""
    if not claims:
        raise ValueError("an 837P needs at least one claim")
    w = Writer(envelope)
    w.begin_interchange("HC", VERSION)
    for chunk in _claims_of(claims, claims_per_transaction):
        _transaction(w, chunk, claim_filing_indicator)
    return w.end_interchange()


def _transaction(w: Writer, claims: Sequence[Claim], filing: str) -> None:
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
            w.seg("SBR", "P", "" if has_patient else "18", "", "", "", "", "", "", filing)
            _person(w, "IL", first.subscriber, address_required=not has_patient, claim=first)
            w.seg("NM1", "PR", "2", w.clean(first.payer.name, 60), "", "", "", "", "PI",
                  w.ident(first.payer.payer_id, "payer id"))  # fmt: skip
            if first.patient is not None:
                hl += 1
                w.seg("HL", str(hl), str(hl - 1), "23", "0")
                w.seg("PAT", first.patient.relationship)
                _person(w, "QC", first.patient, address_required=True, claim=first)
            for claim in by_subscriber:
                _claim(w, claim)
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


def _address(w: Writer, address: Address) -> None:
    w.seg("N3", w.clean(address.line1, 55), w.clean(address.line2 or "", 55))
    w.seg("N4", w.clean(address.city, 30), address.state, address.postal_code)


def _billing_provider(w: Writer, provider: Provider, claim: Claim) -> None:
    if provider.address is None:
        raise RenderError(f"claim {claim.claim_id}: the billing provider's address (2010AA N3/N4)")
    if provider.tax_id is None:
        raise RenderError(f"claim {claim.claim_id}: the billing provider's tax id (REF*EI)")
    if provider.taxonomy:
        w.seg("PRV", "BI", "PXC", provider.taxonomy)
    w.seg("NM1", "85", "2", w.clean(provider.name, 60), "", "", "", "", "XX", provider.npi)
    _address(w, provider.address)
    w.seg("REF", "EI", provider.tax_id)


def _person(
    w: Writer, entity: str, person: Person, *, address_required: bool, claim: Claim
) -> None:
    member = w.ident(person.member_id, "member id") if entity == "IL" else ""
    w.seg(
        "NM1", entity, "1", w.clean(person.last_name, 60), w.clean(person.first_name, 35),
        "", "", "", "MI" if member else "", member,
    )  # fmt: skip
    if person.address is not None:
        _address(w, person.address)
    elif address_required:
        # The guide requires the patient's address (2010CA, or 2010BA when self).
        raise RenderError(f"claim {claim.claim_id}: the patient's address (N3/N4)")
    w.seg("DMG", "D8", date8(person.date_of_birth), person.sex)


def _claim(w: Writer, claim: Claim) -> None:
    if claim.claim_id is None:
        raise RenderError("a claim without claim_id cannot be sent: CLM01 is the claim id")
    if claim.frequency_code in ("7", "8") and not claim.payer_claim_control_number:
        raise RenderError(
            f"claim {claim.claim_id}: frequency {claim.frequency_code} needs the payer's "
            "claim control number (REF*F8)"
        )
    w.seg(
        "CLM", claim.claim_id, money(claim.total_charge), "", "",
        w.comp(claim.place_of_service, "B", claim.frequency_code), "Y", "A", "Y", "Y",
    )  # fmt: skip
    if claim.prior_authorization:
        w.seg("REF", "G1", w.ident(claim.prior_authorization, "prior authorization"))
    if claim.frequency_code in ("7", "8") and claim.payer_claim_control_number:
        w.seg("REF", "F8", w.ident(claim.payer_claim_control_number, "payer claim number"))
    w.seg("REF", "EA", w.ident(claim.account_number, "account number"))
    codes = [w.comp("ABK" if i == 0 else "ABF", dx) for i, dx in enumerate(claim.diagnoses)]
    w.seg("HI", *codes)
    rendering = claim.rendering_provider
    if rendering is not None and rendering.npi != claim.billing_provider.npi:
        w.seg("NM1", "82", "2", w.clean(rendering.name, 60), "", "", "", "", "XX", rendering.npi)
        if rendering.taxonomy:
            w.seg("PRV", "PE", "PXC", rendering.taxonomy)
    claim_rendering = rendering.npi if rendering else claim.billing_provider.npi
    for n, line in enumerate(claim.lines, start=1):
        _line(w, claim, line, n, claim_rendering)


def _line(w: Writer, claim: Claim, line: ServiceLine, n: int, claim_rendering: str) -> None:
    w.seg("LX", str(n))
    pos = line.place_of_service if line.place_of_service != claim.place_of_service else None
    w.seg(
        "SV1", w.comp("HC", line.procedure_code, *line.modifiers), money(line.charge), "UN",
        number(line.units), pos or "", "", w.comp(*(str(p) for p in line.diagnosis_pointers)),
    )  # fmt: skip
    w.seg("DTP", "472", *period(line.service_date_from, line.service_date_to))
    if line.rendering_npi and line.rendering_npi != claim_rendering:
        w.seg("NM1", "82", "2", _LINE_RENDERING_NAME, "", "", "", "", "XX", line.rendering_npi)
