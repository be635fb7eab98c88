"""Signalling a claim's workflow with a payer message: one mapping from message to signal.

Used by inbound-file posting and by the payer simulator, so both speak to ClaimWorkflow the
same way. A payer names a claim by the patient control number it was sent (CLM01, maybe
truncated); with a ``match`` (``services.x12_store.claim_for_patient_control_number``) that
name is turned into the claim id here, the one place every inbound message passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.delivery import ClaimClosed, Signaller
from claims.payer_messages import (
    Acknowledgment,
    ClaimStatusReport,
    EligibilityAnswer,
    PayerMessage,
)
from claims.remittance import Remittance
from workflows.messages import workflow_id


def signal_name(message: PayerMessage) -> str:
    if isinstance(message, Remittance):
        return "remittance"
    if isinstance(message, ClaimStatusReport):
        return "claim_status"
    if isinstance(message, EligibilityAnswer):
        return "eligibility_answer"
    assert isinstance(message, Acknowledgment)
    return "acknowledgment"


# A payer's claim reference -> claim id, or None; may raise LookupError (ambiguous).
ClaimMatcher = Callable[[str], str | None]


def temporal_signaller(
    client: Client, match: ClaimMatcher | None = None, match_trace: ClaimMatcher | None = None
) -> Signaller:
    """``match`` finds a claim by its patient control number (835, 277CA, 999);
    ``match_trace`` by the trace number of the 270 it sent (271 answers)."""

    async def signal(message: PayerMessage) -> None:
        answer = isinstance(message, EligibilityAnswer)
        lookup = match_trace if answer else match
        if lookup is not None:
            claim_id = await asyncio.to_thread(lookup, message.claim_id)
            if claim_id is None:
                what = "sent a 270 with trace number" if answer else "has patient control number"
                raise LookupError(
                    f"no claim {what} {message.claim_id!r} "
                    "(not sent by claimflow, or sent from another database)"
                )
            # The workflow takes messages addressed to its own claim id only.
            message = message.model_copy(update={"claim_id": claim_id})
        handle = client.get_workflow_handle(workflow_id(message.claim_id))
        try:
            await handle.signal(signal_name(message), message)
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                kind = ClaimClosed if "already completed" in exc.message else LookupError
                raise kind(
                    f"no open claim {message.claim_id!r} (unknown, or already closed): {exc}"
                ) from exc
            raise

    return signal
