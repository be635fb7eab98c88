"""Messages a payer sends about a claim before (or instead of) paying it.

An acknowledgment (999) says whether the file was syntactically accepted; a claim status
(277CA) says whether the claim entered adjudication: A1 received, A2 accepted, A3 rejected
(never adjudicated: the biller corrects and resubmits; payers also use A4, A6, A7, A8).
Each carries a ``message_id`` so a message delivered twice is applied once.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from claims.eligibility import EligibilityResult
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


class EligibilityAnswer(BaseModel):
    """A 271 that came back as a file: the payer's answer to one 270 of a claim.

    ``claim_id`` is the 270's trace number (TRN*2 of the 271) as the payer echoed it, until
    the signaller turns it into the claim id recorded when the 270 went out. The result
    holds no PHI (coverage, cost sharing, the payer's reasons).
    """

    model_config = ConfigDict(frozen=True)

    message_id: MessageId
    claim_id: str
    trace_number: str
    result: EligibilityResult


# Everything a payer can tell a claim: an 835 payment (or denial, or reversal), a 277CA
# status, a 999 acknowledgment, a 271 eligibility answer. Adapters, the simulator and the
# workflow all speak this.
PayerMessage = Remittance | ClaimStatusReport | Acknowledgment | EligibilityAnswer
