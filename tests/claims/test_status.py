"""The transition table: the one place that says which status moves are legal."""

from __future__ import annotations

import pytest

from claims.status import (
    INITIAL,
    TERMINAL,
    TRANSITIONS,
    ClaimStatus,
    TransitionError,
    check_transition,
    event_name,
)

S = ClaimStatus


def reachable() -> set[ClaimStatus]:
    seen, todo = {INITIAL}, [INITIAL]
    while todo:
        for nxt in TRANSITIONS.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_every_status_is_reachable_from_received() -> None:
    assert reachable() == set(ClaimStatus)


def test_terminal_statuses() -> None:
    assert {S.PAID, S.WRITTEN_OFF} == TERMINAL


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, targets in TRANSITIONS.items() for b in targets],
)
def test_listed_moves_are_allowed(current: ClaimStatus, target: ClaimStatus) -> None:
    check_transition(current, target)


def test_unlisted_moves_are_refused_with_the_legal_ones() -> None:
    with pytest.raises(TransitionError, match="cannot go from PAID to APPEALED") as err:
        check_transition(S.PAID, S.APPEALED)
    assert "none (terminal)" in str(err.value)
    with pytest.raises(TransitionError, match="allowed from SUBMITTED: ADJUDICATED"):
        check_transition(S.SUBMITTED, S.PAID)


def test_a_new_claim_enters_only_at_received() -> None:
    check_transition(None, S.RECEIVED)
    with pytest.raises(TransitionError):
        check_transition(None, S.CODED)


def test_event_names_are_lower_case_statuses() -> None:
    assert event_name(S.CODING_REVIEW) == "coding_review"
