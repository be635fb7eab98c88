"""Messages a payer sends about a claim before (or instead of) paying it.

An acknowledgment (999) says whether the file was syntactically accepted; a claim status
(277CA) says whether the claim entered adjudication: A1 received, A2 accepted, A3 rejected
(never adjudicated: the biller corrects and resubmits; payers also use A4, A6, A7, A8).
Each carries a ``message_id`` so a message delivered twice is applied once.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from claims.remittance import Remittance

REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})

MessageId = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class Acknowledgment(BaseModel):
    """The 999 for the transaction set that carried the claim."""

    model_config = ConfigDict(frozen=True)

    message_id: MessageId
    claim_id: str
    accepted: bool
    errors: tuple[str, ...] = ()


class ClaimStatusReport(BaseModel):
    """One claim's 277CA status: STC category (A1/A2/A3...) and status codes."""

    model_config = ConfigDict(frozen=True)

    message_id: MessageId
    claim_id: str
    category: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]$")]
    status_codes: tuple[str, ...] = ()
    payer_claim_control_number: str | None = None

    @property
    def rejected(self) -> bool:
        # A3 is the rejection category, but payers also return A4 (not found), A6 (missing
        # information), A7 (invalid information) and A8 (relational error) in its place.
        return self.category in REJECTED_CATEGORIES

    @property
    def accepted(self) -> bool:
        return self.category == "A2"


# Everything a payer can tell a claim: an 835 payment (or denial, or reversal), a 277CA
# status, a 999 acknowledgment. Adapters, the simulator and the workflow all speak this.
PayerMessage = Remittance | ClaimStatusReport | Acknowledgment
