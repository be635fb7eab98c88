"""``claimflow payers list|add|set``: the payer registry, through the API (admins)."""

from __future__ import annotations

import json
from typing import Any

import typer

from services.cli_common import API_OPTION, api_url, explain, request

payers_app = typer.Typer(help="The payer registry: each payer's terms, inherited by its claims.")


def _windows(raw: str | None) -> list[int] | None:
    """``60,90`` -> [60, 90]; ``none`` -> [] (a single appeal level)."""
    if raw is None:
        return None
    if raw.strip().lower() == "none":
        return []
    return [int(part) for part in raw.split(",") if part.strip()]


def _body(**given: Any) -> dict[str, Any]:
    return {name: value for name, value in given.items() if value is not None}


def _show(terms: dict[str, Any]) -> None:
    further = ", ".join(str(d) for d in terms["further_appeal_windows_days"]) or "none"
    typer.echo(
        f"{terms['payer_id']:<12} {terms['name']}: filing {terms['filing_limit_days']}d, "
        f"appeal {terms['appeal_window_days']}d (further levels: {further}), follow-up "
        f"{terms['follow_up_days']}d, settle {terms['settle_days']}d, gateway {terms['gateway']}"
    )


@payers_app.command("list")
def list_payers(
    as_json: bool = typer.Option(False, "--json"), api: str | None = API_OPTION
) -> None:
    """Every registered payer and its terms."""
    response = request("GET", f"{api_url(api)}/payers")
    if response.status_code != 200:
        explain(response)
    if as_json:
        typer.echo(json.dumps(response.json(), indent=2))
        return
    for terms in response.json():
        _show(terms)


@payers_app.command("add")
def add(
    payer_id: str,
    name: str = typer.Option(..., "--name"),
    filing_limit_days: int | None = typer.Option(None, "--filing-limit-days"),
    appeal_window_days: int | None = typer.Option(None, "--appeal-window-days"),
    further_appeal_windows: str | None = typer.Option(
        None, "--further-appeal-windows", help="Days per further level, e.g. 60,90; or none."
    ),
    follow_up_days: int | None = typer.Option(None, "--follow-up-days"),
    settle_days: int | None = typer.Option(None, "--settle-days"),
    gateway: str | None = typer.Option(None, "--gateway", help="x12, file or json."),
    api: str | None = API_OPTION,
) -> None:
    """Register a payer; terms not given take claimflow's documented defaults."""
    body = _body(payer_id=payer_id, name=name, filing_limit_days=filing_limit_days,
                 appeal_window_days=appeal_window_days,
                 further_appeal_windows_days=_windows(further_appeal_windows),
                 follow_up_days=follow_up_days, settle_days=settle_days,
                 gateway=gateway)  # fmt: skip
    response = request("POST", f"{api_url(api)}/payers", json=body)
    if response.status_code != 201:
        explain(response)
    _show(response.json())


@payers_app.command("set")
def set_terms(
    payer_id: str,
    name: str | None = typer.Option(None, "--name"),
    filing_limit_days: int | None = typer.Option(None, "--filing-limit-days"),
    appeal_window_days: int | None = typer.Option(None, "--appeal-window-days"),
    further_appeal_windows: str | None = typer.Option(None, "--further-appeal-windows"),
    follow_up_days: int | None = typer.Option(None, "--follow-up-days"),
    settle_days: int | None = typer.Option(None, "--settle-days"),
    gateway: str | None = typer.Option(None, "--gateway"),
    api: str | None = API_OPTION,
) -> None:
    """Change a payer's terms (only those given); claims already received keep theirs."""
    body = _body(name=name, filing_limit_days=filing_limit_days,
                 appeal_window_days=appeal_window_days,
                 further_appeal_windows_days=_windows(further_appeal_windows),
                 follow_up_days=follow_up_days, settle_days=settle_days,
                 gateway=gateway)  # fmt: skip
    response = request("PATCH", f"{api_url(api)}/payers/{payer_id}", json=body)
    if response.status_code != 200:
        explain(response)
    _show(response.json())
