"""Signalling a claim's workflow with a payer message: one mapping from message to signal.

Used by inbound-file posting and by the payer simulator, so both speak to ClaimWorkflow the
same way.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.delivery import ClaimClosed, Signaller
from claims.payer_messages import Acknowledgment, ClaimStatusReport, PayerMessage
from claims.remittance import Remittance
from workflows.messages import workflow_id


def signal_name(message: PayerMessage) -> str:
    if isinstance(message, Remittance):
        return "remittance"
    if isinstance(message, ClaimStatusReport):
        return "claim_status"
    assert isinstance(message, Acknowledgment)
    return "acknowledgment"


def temporal_signaller(client: Client) -> Signaller:
    async def signal(message: PayerMessage) -> None:
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
