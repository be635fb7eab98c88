"""The transition table: the one place that says which status moves are legal."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.status import (
    ACTIONS,
    INITIAL,
    TERMINAL,
    TRANSITIONS,
    WAITING,
    Action,
    ClaimStatus,
    TransitionError,
    actions_from,
    check_transition,
    event_name,
    mermaid,
    sources_of,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

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
    assert {S.WRITTEN_OFF, S.VOIDED, S.CLOSED} == TERMINAL


def test_every_status_can_reach_a_terminal_one() -> None:
    """A claim can always be driven to an end: no status is a dead end."""
    for start in ClaimStatus:
        seen, todo = {start}, [start]
        while todo:
            for nxt in TRANSITIONS.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen & TERMINAL, start


def test_mermaid_diagram_lists_every_edge() -> None:
    diagram = mermaid()
    for source, targets in TRANSITIONS.items():
        for target in targets:
            assert f"    {source} --> {target}\n" in diagram


def test_readme_diagram_is_generated_from_the_table() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "```mermaid\n" + mermaid() + "```" in readme, "run: claimflow diagram --write"


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)],  # xdist: one order
)
def test_listed_moves_are_allowed(current: ClaimStatus, target: ClaimStatus) -> None:
    check_transition(current, target)


def test_unlisted_moves_are_refused_with_the_legal_ones() -> None:
    with pytest.raises(TransitionError, match="cannot go from PAID to APPEALED"):
        check_transition(S.PAID, S.APPEALED)
    with pytest.raises(TransitionError, match="none \\(terminal\\)"):
        check_transition(S.VOIDED, S.SUBMITTED)
    with pytest.raises(TransitionError, match="allowed from SUBMITTED: ACCEPTED, ADJUDICATED"):
        check_transition(S.SUBMITTED, S.PAID)


def test_a_new_claim_enters_only_at_received() -> None:
    check_transition(None, S.RECEIVED)
    with pytest.raises(TransitionError):
        check_transition(None, S.CODED)


def test_event_names_are_lower_case_statuses() -> None:
    assert event_name(S.CODING_REVIEW) == "coding_review"


def test_every_action_moves_along_the_table() -> None:
    for action, (target, sources) in ACTIONS.items():
        assert sources, action
        for source in sources:
            assert target in TRANSITIONS[source], (action, source, target)


def test_actions_offered_per_status() -> None:
    assert actions_from(S.DENIED) == (Action.APPEAL, Action.VOID, Action.REPLACE, Action.WRITE_OFF)
    assert actions_from(S.CODING_REVIEW) == (Action.RECODE, Action.WRITE_OFF)
    assert actions_from(S.REJECTED) == (Action.CORRECT, Action.WRITE_OFF)
    assert all(actions_from(s) == () for s in TERMINAL)
    assert sources_of(S.APPEALED) == {S.DENIED, S.PARTIALLY_PAID}


def test_every_waiting_status_offers_a_person_a_way_to_end_the_claim() -> None:
    """A claim can wait in these for ever (a silent payer, a gateway that stays down, a biller
    who never corrects); each must let a person end it, or it could be stuck for good."""
    for status in WAITING:
        endings = [a for a in actions_from(status) if ACTIONS[a][0] in TERMINAL]
        assert endings, f"{status}: no action ends the claim"


def test_a_refused_submission_goes_to_a_biller_not_a_loop() -> None:
    check_transition(S.SCRUBBED, S.SCRUB_FAILED)
    assert Action.CORRECT in actions_from(S.SCRUB_FAILED)
