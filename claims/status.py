"""Claim statuses and the one table of allowed transitions.

The workflow, the API's validators and the event consumers all read ``TRANSITIONS``;
keeping it as data in one place means no two parts of the system can disagree about
which moves are legal.
"""

from __future__ import annotations

from enum import StrEnum


class ClaimStatus(StrEnum):
    RECEIVED = "RECEIVED"
    CODING_REVIEW = "CODING_REVIEW"
    CODED = "CODED"
    SCRUB_FAILED = "SCRUB_FAILED"
    SCRUBBED = "SCRUBBED"
    SUBMITTED = "SUBMITTED"
    ADJUDICATED = "ADJUDICATED"
    PAID = "PAID"
    DENIED = "DENIED"
    APPEALED = "APPEALED"
    WRITTEN_OFF = "WRITTEN_OFF"


S = ClaimStatus

# status -> statuses it may move to. A status absent from the keys is terminal.
TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    S.RECEIVED: frozenset({S.CODED, S.CODING_REVIEW}),
    S.CODING_REVIEW: frozenset({S.CODED, S.CODING_REVIEW}),
    S.CODED: frozenset({S.SCRUBBED, S.SCRUB_FAILED}),
    S.SCRUB_FAILED: frozenset({S.CODED, S.CODING_REVIEW}),
    S.SCRUBBED: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.ADJUDICATED}),
    S.ADJUDICATED: frozenset({S.PAID, S.DENIED}),
    S.DENIED: frozenset({S.APPEALED, S.WRITTEN_OFF}),
    S.APPEALED: frozenset({S.ADJUDICATED}),
}

INITIAL = S.RECEIVED
TERMINAL: frozenset[ClaimStatus] = frozenset(s for s in ClaimStatus if s not in TRANSITIONS)


class TransitionError(ValueError):
    """A move the table does not allow; the message names both ends and the legal moves."""


def allowed_next(current: ClaimStatus) -> frozenset[ClaimStatus]:
    return TRANSITIONS.get(current, frozenset())


def can_transition(current: ClaimStatus, target: ClaimStatus) -> bool:
    return target in allowed_next(current)


def check_transition(current: ClaimStatus | None, target: ClaimStatus) -> None:
    """Raise TransitionError unless ``current -> target`` is in the table.

    ``current`` is None only for a brand-new claim, which may only enter at INITIAL.
    """
    if current is None:
        if target is not INITIAL:
            raise TransitionError(f"a new claim starts at {INITIAL}, not {target}")
        return
    if not can_transition(current, target):
        legal = ", ".join(sorted(allowed_next(current))) or "none (terminal)"
        raise TransitionError(
            f"claim status cannot go from {current} to {target}; allowed from {current}: {legal}"
        )


def event_name(target: ClaimStatus) -> str:
    """The transition's name in event types: the status it enters, in lower case."""
    return target.value.lower()
