"""A payer's terms from the registry, and what a claim inherits from them at intake.

Payer terms (filing limit, appeal levels and windows, follow-up interval, settle days) are
the payer's, not each claim's: they live in the payer registry. A claim names its payer id
and inherits the registry's terms; a term written on the claim itself still wins for that
claim (a special contract, a one-off extension), and each such override is recorded as an
intake finding with the claim, so nobody wonders later why its deadline differs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from claims.findings import Finding, warning
from claims.model import TERM_FIELDS, Claim, Payer

Gateway = Literal["x12", "file", "json"]


class PayerTerms(Payer):
    """One payer in the registry: the claim's ``Payer`` (id, name, terms with their
    documented defaults) and how claims reach it."""

    # How claims reach this payer (recorded for routing; the process setting chooses today).
    gateway: Gateway = "x12"


class PayerTermsUpdate(BaseModel):
    """``claimflow payers set``: only the terms given change."""

    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] | None
    ) = None
    filing_limit_days: int | None = Field(default=None, ge=1, le=3650)
    appeal_window_days: int | None = Field(default=None, ge=1, le=3650)
    further_appeal_windows_days: list[Annotated[int, Field(ge=1, le=3650)]] | None = Field(
        default=None, max_length=4
    )
    follow_up_days: int | None = Field(default=None, ge=1, le=365)
    settle_days: int | None = Field(default=None, ge=0, le=3650)
    gateway: Gateway | None = None


def inherit_terms(claim: Claim, terms: PayerTerms | None) -> tuple[Claim, tuple[Finding, ...]]:
    """The claim with its payer's registry terms, except those the claim sets itself;
    findings record every override (and a payer the registry does not know)."""
    payer = claim.payer
    if terms is None:
        given = sorted(payer.model_fields_set & set(TERM_FIELDS))
        return claim, (
            warning(
                "INTAKE_PAYER_UNKNOWN",
                "payer.payer_id",
                f"payer {payer.payer_id} is not in the payer registry; the claim's own terms "
                f"({', '.join(given) or 'none'}) and claimflow's defaults apply "
                "(add it with `claimflow payers add`)",
            ),
        )
    registry = terms.model_dump(include=set(TERM_FIELDS))
    findings: list[Finding] = []
    values = dict(registry)
    for name in TERM_FIELDS:
        if name in payer.model_fields_set and getattr(payer, name) != registry[name]:
            values[name] = getattr(payer, name)
            findings.append(
                warning(
                    "INTAKE_PAYER_TERM_OVERRIDE",
                    f"payer.{name}",
                    f"{name} {getattr(payer, name)} on the claim overrides {terms.name}'s "
                    f"{registry[name]} from the payer registry, for this claim only",
                )
            )
    inherited = payer.model_copy(update=values)
    return claim.model_copy(update={"payer": inherited}), tuple(findings)
