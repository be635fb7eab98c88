"""CLI commands for a biller's and coder's actions: recode, correct, appeal, void, replace,
write-off. Each is one API call; ``--wait`` answers with the status the claim comes to rest
at (e.g. SUBMITTED after a clean correction, or SCRUB_FAILED again)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import typer

from services.cli_common import (
    API_OPTION,
    act,
    api_url,
    claim_body,
    explain,
    fail,
    post_action,
    request,
)

WAIT_OPTION = typer.Option(
    False, "--wait", help="Wait until the claim comes to rest and print that status."
)


def _send_correction(
    verb: str, claim_id: str, file: Path, note: str | None, api: str | None, wait: bool
) -> None:
    post_action(claim_id, verb, {"claim": claim_body(file), "note": note}, api, wait)
    if not wait:
        typer.echo(f"claim {claim_id}: {verb} accepted; it goes through coding and scrubbing again")


def recode(
    claim_id: str,
    file: Path,
    note: str | None = typer.Option(None, "--note"),
    wait: bool = WAIT_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Send corrected codes for a claim in CODING_REVIEW (the whole corrected claim file)."""
    _send_correction("recode", claim_id, file, note, api, wait)


def correct(
    claim_id: str,
    file: Path,
    note: str | None = typer.Option(None, "--note"),
    wait: bool = WAIT_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Send a corrected claim for a claim in SCRUB_FAILED or REJECTED (the whole file)."""
    _send_correction("correct", claim_id, file, note, api, wait)


def _upload(base: str, claim_id: str, path: Path) -> str:
    """Upload one attachment; its id."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read it: {exc.strerror or exc}", 2)
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = request(
        "POST", f"{base}/claims/{claim_id}/attachments", files={"file": (path.name, data, kind)}
    )
    if response.status_code != 201:
        explain(response)
    attachment_id: str = response.json()["attachment_id"]
    return attachment_id


def appeal(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="Why the denial is wrong."),
    note: str | None = typer.Option(None, "--note"),
    attachment: list[Path] = typer.Option(
        [], "--attachment", help="A file to send with the appeal (repeatable); uploaded first."
    ),
    wait: bool = WAIT_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Appeal a DENIED or PARTIALLY_PAID claim, with attachments."""
    base = api_url(api)
    ids = [_upload(base, claim_id, path) for path in attachment]
    body = {"reason": reason, "note": note, "attachments": ids}
    result = post_action(claim_id, "appeal", body, api, wait)
    if not wait:
        sent = f", {len(ids)} attachment(s)" if ids else ""
        typer.echo(f"claim {result['claim_id']} {result['status']} (level {result['level']}{sent})")


def void(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="Why the claim is voided."),
    wait: bool = WAIT_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Void a claim the payer has (sends frequency 8 with the payer's control number)."""
    act(claim_id, "void", {"reason": reason}, api, wait)


def replace(
    claim_id: str,
    file: Path,
    note: str | None = typer.Option(None, "--note"),
    wait: bool = WAIT_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Replace a claim the payer has with a corrected one (sends frequency 7)."""
    act(claim_id, "replace", {"claim": claim_body(file), "note": note}, api, wait)


def write_off(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="The business reason, for the audit."),
    note: str | None = typer.Option(None, "--note"),
    wait: bool = WAIT_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Write off what a claim still owes (above the threshold a supervisor must approve)."""
    act(claim_id, "write-off", {"reason": reason, "note": note}, api, wait)


def register(app: typer.Typer) -> None:
    for command in (recode, correct, appeal, void, replace):
        app.command()(command)
    app.command("write-off")(write_off)
