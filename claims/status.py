"""Claim statuses and the one table of allowed transitions.

The workflow, the API's validators and the event consumers all read ``TRANSITIONS``;
keeping it as data in one place means no two parts of the system can disagree about
which moves are legal.
"""

from __future__ import annotations

from enum import StrEnum


class ClaimStatus(StrEnum):
    RECEIVED = "RECEIVED"
    CODING_REVIEW = "CODING_REVIEW"  # coding errors: waits for a coder's `recode`
    CODED = "CODED"
    SCRUB_FAILED = "SCRUB_FAILED"  # scrub errors: waits for a biller's `correct`
    SCRUBBED = "SCRUBBED"  # ready to go out (also: a replacement that coded and scrubbed clean)
    # The payer's 271 says the coverage is inactive or the member unknown: held before it goes
    # out, for a biller to `correct` the member id or payer (or `write-off`: bill the patient).
    ELIGIBILITY_HOLD = "ELIGIBILITY_HOLD"
    SUBMITTED = "SUBMITTED"
    REJECTED = "REJECTED"  # 999 R or 277CA A3: never entered adjudication; `correct`
    ACCEPTED = "ACCEPTED"  # 277CA A2: in adjudication
    ADJUDICATED = "ADJUDICATED"  # a remittance arrived (or a reversal: waits for the correction)
    PAID = "PAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    DENIED = "DENIED"
    APPEALED = "APPEALED"
    WRITTEN_OFF = "WRITTEN_OFF"  # a business decision with a reason, or the appeal window closed
    VOIDED = "VOIDED"  # a void (frequency 8) went to the payer
    CLOSED = "CLOSED"  # paid, and the window for reversals has passed


S = ClaimStatus

# The states in which the payer has the claim: void and replace are allowed from these.
POST_SUBMISSION: frozenset[ClaimStatus] = frozenset(
    {
        S.SUBMITTED,
        S.ACCEPTED,
        S.ADJUDICATED,
        S.PAID,
        S.PARTIALLY_PAID,
        S.DENIED,
        S.APPEALED,
    }
)
# A replacement re-enters at SCRUBBED (it is coded and scrubbed before it is accepted).
_VOID_OR_REPLACE = frozenset({S.VOIDED, S.SCRUBBED})

# status -> statuses it may move to. A status absent from the keys is terminal.
TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    S.RECEIVED: frozenset({S.CODED, S.CODING_REVIEW}),
    S.CODING_REVIEW: frozenset({S.CODED, S.CODING_REVIEW, S.WRITTEN_OFF}),
    S.CODED: frozenset({S.SCRUBBED, S.SCRUB_FAILED}),
    S.SCRUB_FAILED: frozenset({S.CODED, S.CODING_REVIEW, S.WRITTEN_OFF}),
    # SCRUBBED -> SCRUB_FAILED: the gateway refused to send it (it cannot be carried as an 837P,
    # or the payer's front door answered 4xx): the claim's fault, so a biller corrects it.
    # SCRUBBED -> ELIGIBILITY_HOLD: the eligibility check before submission found no coverage.
    S.SCRUBBED: frozenset({S.SUBMITTED, S.SCRUB_FAILED, S.ELIGIBILITY_HOLD, S.WRITTEN_OFF}),
    # A corrected claim is coded and scrubbed (and checked) again.
    S.ELIGIBILITY_HOLD: frozenset({S.CODED, S.CODING_REVIEW, S.WRITTEN_OFF}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.ADJUDICATED, S.WRITTEN_OFF})
    | _VOID_OR_REPLACE,
    S.REJECTED: frozenset({S.CODED, S.CODING_REVIEW, S.WRITTEN_OFF}),
    S.ACCEPTED: frozenset({S.ADJUDICATED, S.REJECTED, S.WRITTEN_OFF}) | _VOID_OR_REPLACE,
    S.ADJUDICATED: frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED, S.WRITTEN_OFF})
    | _VOID_OR_REPLACE,
    S.PAID: frozenset({S.ADJUDICATED, S.CLOSED}) | _VOID_OR_REPLACE,
    S.PARTIALLY_PAID: frozenset({S.APPEALED, S.ADJUDICATED, S.WRITTEN_OFF}) | _VOID_OR_REPLACE,
    S.DENIED: frozenset({S.APPEALED, S.ADJUDICATED, S.WRITTEN_OFF}) | _VOID_OR_REPLACE,
    S.APPEALED: frozenset({S.ADJUDICATED, S.WRITTEN_OFF}) | _VOID_OR_REPLACE,
}

INITIAL = S.RECEIVED
TERMINAL: frozenset[ClaimStatus] = frozenset(s for s in ClaimStatus if s not in TRANSITIONS)
# Statuses the workflow passes through on its own, without waiting for anyone: an action
# "settles" at the first status after it that is not one of these (``?wait=true``).
TRANSIENT: frozenset[ClaimStatus] = frozenset({S.RECEIVED, S.CODED, S.SCRUBBED})
RESTING: frozenset[ClaimStatus] = frozenset(ClaimStatus) - TRANSIENT

# Statuses a claim rests in until something outside claimflow moves it: a person, the payer
# (who may never answer) or a gateway (which may stay down). Each must offer a person an
# action that ends the claim (a write-off or a void), or a claim could wait there for ever.
# PAID is not among them: it closes by itself when the settle period ends. RECEIVED and CODED
# only run claimflow's own checks.
WAITING: frozenset[ClaimStatus] = frozenset(
    {
        S.CODING_REVIEW,
        S.SCRUB_FAILED,
        S.SCRUBBED,
        S.ELIGIBILITY_HOLD,
        S.SUBMITTED,
        S.REJECTED,
        S.ACCEPTED,
        S.ADJUDICATED,
        S.PARTIALLY_PAID,
        S.DENIED,
        S.APPEALED,
    }
)


def sources_of(target: ClaimStatus) -> frozenset[ClaimStatus]:
    """Every status the table lets a claim leave for ``target``."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


class Action(StrEnum):
    """What a person can do to a claim (each is a workflow update of the same name)."""

    RECODE = "recode"
    CORRECT = "correct"
    APPEAL = "appeal"
    VOID = "void"
    REPLACE = "replace"
    WRITE_OFF = "write_off"


# action -> (the status it moves the claim to, the statuses it is allowed from). Derived from
# the transition table where the table says it alone; recode and correct both lead to CODED and
# are told apart by who waits for them; a replacement re-enters at SCRUBBED from wherever the
# payer has the claim.
ACTIONS: dict[Action, tuple[ClaimStatus, frozenset[ClaimStatus]]] = {
    Action.RECODE: (S.CODED, frozenset({S.CODING_REVIEW})),
    Action.CORRECT: (S.CODED, frozenset({S.SCRUB_FAILED, S.REJECTED, S.ELIGIBILITY_HOLD})),
    Action.APPEAL: (S.APPEALED, sources_of(S.APPEALED)),
    Action.VOID: (S.VOIDED, sources_of(S.VOIDED)),
    Action.REPLACE: (S.SCRUBBED, POST_SUBMISSION),
    Action.WRITE_OFF: (S.WRITTEN_OFF, sources_of(S.WRITTEN_OFF)),
}


def allowed_from(action: Action) -> frozenset[ClaimStatus]:
    return ACTIONS[action][1]


def actions_from(status: ClaimStatus) -> tuple[Action, ...]:
    """The actions a claim in ``status`` accepts (what a console offers, before roles)."""
    return tuple(action for action, (_, sources) in ACTIONS.items() if status in sources)


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


def mermaid() -> str:
    """The transition table as a Mermaid state diagram (the README embeds this output)."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL}"]
    for source in ClaimStatus:
        for target in sorted(TRANSITIONS.get(source, ())):
            lines.append(f"    {source} --> {target}")
    lines.extend(f"    {s} --> [*]" for s in ClaimStatus if s in TERMINAL)
    return "\n".join(lines) + "\n"
