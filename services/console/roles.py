"""Who the viewer is, and what that lets them do on the console.

The viewer is the principal the request's credential names (the session cookie set by
``POST /auth/login``, or any credential the API takes); every console route carries the
same ``authorize`` dependency as the API, so a page is never served to someone who may not
read it. What a person may do is not decided here: each console action is the API route
that does it (``ROUTES``), and ``services.auth.policy.allows`` answers from the route x role
table. A page shows a button exactly when the API would take the call, and the console's own
POST routes check again (a hidden button is not a permission).
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import Request

from claims.status import Action, ClaimStatus, actions_from
from services.auth import policy
from services.auth.authenticate import PRINCIPAL_KEY
from services.auth.principal import Principal


class Task(StrEnum):
    """Console actions that are not claim workflow actions."""

    UPLOAD_ATTACHMENT = "upload_attachment"
    MATCH_MESSAGE = "match_message"
    DISMISS_MESSAGE = "dismiss_message"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    APPROVE_WRITE_OFF = "approve_write_off"
    RECORD_PATIENT_PAYMENT = "record_patient_payment"
    CREATE_STATEMENT = "create_statement"
    READ_STATEMENT = "read_statement"


Permission = Action | Task

# Each console action is this API route; its roles are the route table's.
ROUTES: dict[Permission, tuple[str, str]] = {
    Action.RECODE: ("POST", "/claims/{claim_id}/recode"),
    Action.CORRECT: ("POST", "/claims/{claim_id}/correct"),
    Action.APPEAL: ("POST", "/claims/{claim_id}/appeal"),
    Action.VOID: ("POST", "/claims/{claim_id}/void"),
    Action.REPLACE: ("POST", "/claims/{claim_id}/replace"),
    Action.WRITE_OFF: ("POST", "/claims/{claim_id}/write-off"),
    Task.UPLOAD_ATTACHMENT: ("POST", "/claims/{claim_id}/attachments"),
    Task.MATCH_MESSAGE: ("POST", "/payer-messages/{message_id}/match"),
    Task.DISMISS_MESSAGE: ("POST", "/payer-messages/{message_id}/dismiss"),
    Task.ACKNOWLEDGE_ALERT: ("POST", "/alerts/{alert_id}/acknowledge"),
    Task.APPROVE_WRITE_OFF: ("POST", "/claims/{claim_id}/write-off/approve"),
    Task.RECORD_PATIENT_PAYMENT: ("POST", "/claims/{claim_id}/patient-payments"),
    Task.CREATE_STATEMENT: ("POST", "/statements"),
    Task.READ_STATEMENT: ("GET", "/statements/{statement_id}"),
}


def viewer(request: Request) -> Principal:
    """The signed-in person (``authorize`` has already run for every console route)."""
    principal: Principal = request.scope[PRINCIPAL_KEY]
    return principal


def may(principal: Principal, what: Permission) -> bool:
    return policy.allows(principal, *ROUTES[what])


def claim_actions(principal: Principal, status: ClaimStatus) -> tuple[Action, ...]:
    """What this viewer may do to a claim in ``status``: the status allows it (the ACTIONS
    table) and the route table lets them call it."""
    return tuple(a for a in actions_from(status) if may(principal, a))


def require(principal: Principal, what: Permission) -> None:
    """403, worded as the API words it, unless the viewer may do ``what``."""
    policy.require(principal, *ROUTES[what])
