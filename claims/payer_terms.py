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
from claims.model import (
    DEFAULT_APPEAL_WINDOW_DAYS,
    DEFAULT_FILING_LIMIT_DAYS,
    DEFAULT_FOLLOW_UP_DAYS,
    DEFAULT_FURTHER_APPEAL_WINDOWS_DAYS,
    DEFAULT_SETTLE_DAYS,
    TERM_FIELDS,
    Claim,
)

Gateway = Literal["x12", "file", "json"]


class PayerTerms(BaseModel):
    """One payer in the registry."""

    model_config = ConfigDict(extra="forbid")

    payer_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{2,80}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    filing_limit_days: int = Field(default=DEFAULT_FILING_LIMIT_DAYS, ge=1, le=3650)
    appeal_window_days: int = Field(default=DEFAULT_APPEAL_WINDOW_DAYS, ge=1, le=3650)
    further_appeal_windows_days: list[Annotated[int, Field(ge=1, le=3650)]] = Field(
        default_factory=lambda: list(DEFAULT_FURTHER_APPEAL_WINDOWS_DAYS), max_length=4
    )
    follow_up_days: int = Field(default=DEFAULT_FOLLOW_UP_DAYS, ge=1, le=365)
    settle_days: int = Field(default=DEFAULT_SETTLE_DAYS, ge=0, le=3650)
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
