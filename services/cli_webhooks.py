"""``claimflow webhooks ...``: manage webhook subscriptions and their dead letters.

Everything goes through the API (``/webhooks``), where admins are authorised; this only
turns commands into requests and answers into lines.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from services.cli_common import API_OPTION, api_url, explain, request

webhooks_app = typer.Typer(
    help="Webhook subscriptions: events POSTed to URLs, signed (Standard Webhooks).",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="JSON instead of lines.")


def _call(method: str, api: str | None, path: str, expect: int, **kwargs: Any) -> Any:
    response = request(method, f"{api_url(api)}/webhooks{path}", **kwargs)
    if response.status_code != expect:
        explain(response)
    return response.json() if response.content else None


def _line(sub: dict[str, Any]) -> str:
    state = "active" if sub["active"] else "paused"
    payers = ",".join(sub["payer_ids"]) or "all payers"
    dead = f"  {sub['dead_letters']} dead letters" if sub["dead_letters"] else ""
    return (
        f"{sub['id']}  {state:<6} {sub['content_mode']:<10} {sub['url']}\n"
        f"    types {', '.join(sub['event_types'])}; {payers}{dead}"
    )


@webhooks_app.command("add")
def add(
    url: str,
    event_type: list[str] = typer.Option(
        ..., "--type", help="Event type or pattern, e.g. 'claimflow.claim.*.v1' (repeatable)."
    ),
    payer: list[str] = typer.Option([], "--payer", help="Only this payer's claims (repeatable)."),
    mode: str = typer.Option("structured", "--mode", help="CloudEvents mode: structured|binary."),
    secret: str | None = typer.Option(None, "--secret", help="whsec_...; generated if absent."),
    description: str | None = typer.Option(None, "--description"),
    as_json: bool = JSON_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Subscribe URL to event types; prints the id and the signing secret (shown once)."""
    body = {
        "url": url,
        "event_types": event_type,
        "payer_ids": payer,
        "content_mode": mode,
        "secret": secret,
        "description": description,
    }
    created = _call("POST", api, "", 201, json=body)
    if as_json:
        typer.echo(json.dumps(created))
        return
    typer.echo(_line(created))
    typer.echo(f"secret {created['secret']}  (keep it: it is not shown again)")


@webhooks_app.command("list")
def list_all(as_json: bool = JSON_OPTION, api: str | None = API_OPTION) -> None:
    """Every subscription, with its dead letters."""
    subs = _call("GET", api, "", 200)
    if as_json:
        typer.echo(json.dumps(subs))
        return
    for sub in subs:
        typer.echo(_line(sub))
    if not subs:
        typer.echo("no webhook subscriptions")


@webhooks_app.command("show")
def show(sub_id: str, as_json: bool = JSON_OPTION, api: str | None = API_OPTION) -> None:
    """One subscription and its last delivery failure."""
    sub = _call("GET", api, f"/{sub_id}", 200)
    if as_json:
        typer.echo(json.dumps(sub))
        return
    typer.echo(_line(sub))
    if sub["last_error"]:
        typer.echo(f"    last failure {sub['last_failed_at']}: {sub['last_error']}")


@webhooks_app.command("update")
def update(
    sub_id: str,
    url: str | None = typer.Option(None, "--url"),
    event_type: list[str] = typer.Option([], "--type", help="Replaces the event types."),
    payer: list[str] = typer.Option([], "--payer", help="Replaces the payer filter."),
    all_payers: bool = typer.Option(False, "--all-payers", help="Drop the payer filter."),
    mode: str | None = typer.Option(None, "--mode"),
    secret: str | None = typer.Option(None, "--secret"),
    active: bool | None = typer.Option(None, "--active/--paused"),
    api: str | None = API_OPTION,
) -> None:
    """Change a subscription; only the options given change."""
    body: dict[str, Any] = {
        "url": url,
        "content_mode": mode,
        "secret": secret,
        "active": active,
        "event_types": event_type or None,
        "payer_ids": [] if all_payers else (payer or None),
    }
    typer.echo(_line(_call("PATCH", api, f"/{sub_id}", 200, json=body)))


@webhooks_app.command("remove")
def remove(sub_id: str, api: str | None = API_OPTION) -> None:
    """Delete a subscription and its dead letters."""
    _call("DELETE", api, f"/{sub_id}", 204)
    typer.echo(f"removed {sub_id}")


@webhooks_app.command("dead-letters")
def dead_letters(
    sub_id: str,
    state: str | None = typer.Option(None, "--state", help="dead, queued or delivered."),
    as_json: bool = JSON_OPTION,
    api: str | None = API_OPTION,
) -> None:
    """Events that could not be delivered, with why."""
    params = {"state": state} if state else {}
    letters = _call("GET", api, f"/{sub_id}/dead-letters", 200, params=params)
    if as_json:
        typer.echo(json.dumps(letters))
        return
    for x in letters:
        why = f"held behind {x['held_behind']}" if x["held_behind"] else x["last_error"]
        typer.echo(f"{x['id']:>6}  {x['state']:<9} {x['event_id']}  {x['event_type']}  {why}")
    if not letters:
        typer.echo("no dead letters")


@webhooks_app.command("redrive")
def redrive(
    sub_id: str,
    claim: str | None = typer.Option(None, "--claim", help="Only this claim's dead letters."),
    api: str | None = API_OPTION,
) -> None:
    """Deliver a subscription's dead letters again, in their original order."""
    result = _call("POST", api, f"/{sub_id}/redrive", 202, json={"claim_id": claim})
    typer.echo(f"{result['queued']} dead letters queued for delivery")
