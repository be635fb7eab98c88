"""``claimflow approve-write-off`` and ``reject-write-off``: a supervisor decides a write-off
that waits on a claim (a biller's, above the threshold)."""

from __future__ import annotations

import typer

from services.cli_common import API_OPTION, act


def approve_write_off(
    claim_id: str,
    note: str | None = typer.Option(None, "--note"),
    api: str | None = API_OPTION,
) -> None:
    """Approve the write-off waiting on a claim (supervisors)."""
    act(claim_id, "write-off/approve", {"note": note}, api)


def reject_write_off(
    claim_id: str,
    note: str | None = typer.Option(None, "--note", help="Why, for the biller."),
    api: str | None = API_OPTION,
) -> None:
    """Reject the write-off waiting on a claim; the claim stays as it is (supervisors)."""
    act(claim_id, "write-off/reject", {"note": note}, api)
