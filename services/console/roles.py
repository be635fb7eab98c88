"""Who the viewer is, and what that lets them do on the console.

``viewer_roles`` is THE seam for sign-in: today it returns the roles configured for the
whole process (``CLAIMFLOW_CONSOLE_ROLES``); with the security work it returns the signed-in
person's roles, and nothing else on the console changes. Every page and every action button
asks ``may``/``claim_actions`` with those roles; the console's own POST routes check again
(a hidden button is not a permission).

``ROLE_TASKS`` is the phase-1 table of what each role may do; the security work's
route x role table replaces it.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import HTTPException, Request

from claims.status import Action, ClaimStatus, actions_from


class Role(StrEnum):
    OPS = "ops"  # watches the money and the queues; changes no claim
    BILLER = "biller"  # corrects, appeals, voids, replaces, writes off; works payer messages
    CODER = "coder"  # fixes codes


class Task(StrEnum):
    """Console actions that are not claim workflow actions."""

    UPLOAD_ATTACHMENT = "upload_attachment"
    MATCH_MESSAGE = "match_message"
    DISMISS_MESSAGE = "dismiss_message"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"


Permission = Action | Task

ROLE_TASKS: dict[Role, frozenset[Permission]] = {
    Role.OPS: frozenset({Task.ACKNOWLEDGE_ALERT}),
    Role.BILLER: frozenset(
        {
            Action.CORRECT,
            Action.APPEAL,
            Action.VOID,
            Action.REPLACE,
            Action.WRITE_OFF,
            Task.UPLOAD_ATTACHMENT,
            Task.MATCH_MESSAGE,
            Task.DISMISS_MESSAGE,
            Task.ACKNOWLEDGE_ALERT,
        }
    ),
    Role.CODER: frozenset({Action.RECODE, Action.CORRECT, Task.ACKNOWLEDGE_ALERT}),
}


def parse_roles(text: str) -> frozenset[Role]:
    roles = set()
    for name in text.split(","):
        name = name.strip().lower()
        if name:
            try:
                roles.add(Role(name))
            except ValueError as exc:
                known = ", ".join(r.value for r in Role)
                raise ValueError(f"unknown console role {name!r}; roles: {known}") from exc
    return frozenset(roles)


def viewer_roles(request: Request) -> frozenset[Role]:
    """THE SEAM: the roles of whoever made this request (phase 1: the configured set)."""
    return parse_roles(request.app.state.settings.console_roles)


def may(roles: frozenset[Role], what: Permission) -> bool:
    return any(what in ROLE_TASKS[role] for role in roles)


def claim_actions(roles: frozenset[Role], status: ClaimStatus) -> tuple[Action, ...]:
    """What this viewer may do to a claim in ``status``: the status allows it (the ACTIONS
    table) and a role of theirs does."""
    return tuple(a for a in actions_from(status) if may(roles, a))


def require(roles: frozenset[Role], what: Permission) -> None:
    if not may(roles, what):
        names = ", ".join(sorted(r.value for r in roles)) or "no role"
        raise HTTPException(403, f"{what.value.replace('_', ' ')} is not allowed for {names}")
