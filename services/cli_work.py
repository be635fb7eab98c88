"""CLI commands for working claims: submit (a file or a folder), list, alerts, status.

They speak only to the HTTP API, with the API's filters, and print with rich: a progress bar
and a summary table for a folder, tables for lists, and a status page that shows what a
biller needs (deadlines, the payer's codes with their meanings, who did what, what was
written off).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from claims.reason_codes import carc_description, rarc_description
from claims.status import ClaimStatus
from services.cli_common import API_OPTION, CliError, api_url, explain, fail, load_json, request

if TYPE_CHECKING:  # rich is imported by the commands that print: every process starts here
    from rich.console import Console
    from rich.table import Table

STATUSES = tuple(s.value for s in ClaimStatus)


def console() -> Console:
    from rich.console import Console

    # Piped output (tests, scripts) gets a wide page rather than rich's 80 columns.
    return Console(width=None if sys.stdout.isatty() else 160, highlight=False, markup=False)


def _table(title: str) -> Table:
    from rich.table import Table

    return Table(title=title)


def _is_fhir(body: Any) -> bool:
    return isinstance(body, dict) and body.get("resourceType") == "Claim"


def _submit_one(base: str, path: Path) -> tuple[str, str]:
    """(claim id, "") or ("", why it was refused)."""
    try:
        body = load_json(path)
    except CliError as exc:
        return "", str(exc).removeprefix(f"{path}: ")
    route = "/fhir/Claim" if _is_fhir(body) else "/claims"
    response = request("POST", f"{base}{route}", json=body)
    if response.status_code == 202:
        return str(response.json()["claim_id"]), ""
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if isinstance(detail, list):
        detail = "; ".join(f"{d.get('field')}: {d.get('msg')}" for d in detail)
    return "", f"{response.status_code}: {detail}"


def submit(
    path: Path = typer.Argument(..., help="A claim JSON file, or a folder of them (*.json)."),
    api: str | None = API_OPTION,
) -> None:
    """Submit a claim file (claimflow format or a FHIR R4 Claim), or every *.json in a folder.

    One file prints its claim id. A folder shows a progress bar, then a table of every file
    with its claim id or why it was refused; the exit code is 1 if any was refused.
    """
    base = api_url(api)
    if not path.is_dir():
        claim_id, problem = _submit_one(base, path)
        if problem:
            fail(f"{path}: {problem}", 1 if problem[:3].isdigit() else 2)
        typer.echo(claim_id)
        return
    files = sorted(p for p in path.rglob("*.json") if p.is_file())
    if not files:
        fail(f"{path}: no *.json files in it", 2)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    out = console()
    results: list[tuple[Path, str, str]] = []
    columns = (
        TextColumn("submitting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=out, transient=not out.is_terminal) as progress:
        task = progress.add_task("", total=len(files))
        for file in files:
            progress.update(task, description=file.name)
            results.append((file, *_submit_one(base, file)))
            progress.advance(task)
    table = _table(f"{len(files)} files from {path}")
    table.add_column("file")
    table.add_column("claim id")
    table.add_column("result")
    for file, claim_id, problem in results:
        table.add_row(
            str(file.relative_to(path)),
            claim_id or "-",
            "submitted" if claim_id else f"refused: {problem}",
        )
    out.print(table)
    refused = sum(1 for _, claim_id, _ in results if not claim_id)
    out.print(f"submitted {len(files) - refused}, refused {refused}")
    if refused:
        raise typer.Exit(1)


def list_claims(
    status: list[str] = typer.Option([], "--status", help="A status (repeatable)."),
    payer: str | None = typer.Option(None, "--payer", help="Payer id."),
    carc: str | None = typer.Option(None, "--carc", help="A CARC (197) or reason (CO-197)."),
    aging: str | None = typer.Option(None, "--aging", help="0-30, 31-60, 61-90, 91-120, 120+."),
    deadline_before: str | None = typer.Option(
        None, "--appeal-deadline-before", help="ISO date or datetime."
    ),
    outstanding_above: str | None = typer.Option(None, "--outstanding-above", help="Amount."),
    sort: str = typer.Option("updated", "--sort", help="updated, oldest, appeal_deadline, ..."),
    limit: int = typer.Option(50, "--limit"),
    offset: int = typer.Option(0, "--offset"),
    as_json: bool = typer.Option(False, "--json", help="The rows as JSON."),
    api: str | None = API_OPTION,
) -> None:
    """List claims from the read model with the API's filters (GET /claims)."""
    for s in status:
        if s.upper() not in STATUSES:
            fail(f"--status: {s!r} is not a status; one of {', '.join(STATUSES)}", 2)
    params: list[tuple[str, str | int]] = [("status", s.upper()) for s in status]
    optional = {
        "payer_id": payer,
        "carc": carc.upper() if carc else None,
        "aging_bucket": aging,
        "appeal_deadline_before": deadline_before,
        "outstanding_above": outstanding_above,
    }
    params += [(k, v) for k, v in optional.items() if v]
    params += [("sort", sort), ("limit", limit), ("offset", offset)]
    response = request("GET", f"{api_url(api)}/claims", params=params)
    if response.status_code != 200:
        explain(response)
    rows = response.json()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    total = response.headers.get("x-total-count", str(len(rows)))
    table = _table(f"{total} claims" + (f" (showing {len(rows)})" if rows else ""))
    for name, justify in (
        ("claim id", "left"), ("status", "left"), ("payer", "left"), ("charge", "right"),
        ("still owed", "right"), ("denials", "left"), ("appeal deadline", "left"),
        ("age", "right"),
    ):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        deadline = "-"
        if r["appeal_deadline"]:
            deadline = f"{r['appeal_deadline'][:10]} ({r['appeal_days_left']} d)"
        table.add_row(
            r["claim_id"], r["status"], r["payer_id"], r["total_charge"],
            r["outstanding_amount"] or "-", ",".join(r["denial_reasons"]) or "-", deadline,
            "-" if r["age_days"] is None else f"{r['age_days']} d",
        )  # fmt: skip
    console().print(table)


def _print_alerts(rows: list[dict[str, Any]]) -> None:
    for a in rows:
        due = f" due {a['due'][:10]}" if a.get("due") else ""
        typer.echo(
            f"{a['time'][:19]}  {a['kind']:<26} {a['claim_id']}  {a['status']:<14}{due}  "
            f"{a['message']}  [{a['alert_id']}]"
        )


def alerts(
    kind: str | None = typer.Option(None, "--kind", help="follow_up_due, appeal_deadline, ..."),
    include_acknowledged: bool = typer.Option(False, "--all", help="Also acknowledged ones."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new alerts."),
    interval: float = typer.Option(2.0, "--interval", help="Seconds between looks (--follow)."),
    acknowledge: str | None = typer.Option(None, "--ack", help="Acknowledge this alert id."),
    api: str | None = API_OPTION,
) -> None:
    """Show open alerts (GET /alerts), oldest first; --follow keeps watching; --ack ID
    acknowledges one."""
    base = api_url(api)
    if acknowledge:
        response = request("POST", f"{base}/alerts/{acknowledge}/acknowledge", json={})
        if response.status_code != 200:
            explain(response)
        typer.echo(f"acknowledged {acknowledge}")
        return
    params: dict[str, Any] = {"limit": 500, "include_acknowledged": include_acknowledged}
    if kind:
        params["kind"] = kind
    seen: set[str] = set()
    while True:
        response = request("GET", f"{base}/alerts", params=params)
        if response.status_code != 200:
            explain(response)
        fresh = [a for a in reversed(response.json()) if a["alert_id"] not in seen]
        seen.update(a["alert_id"] for a in fresh)
        if fresh or not follow:
            _print_alerts(fresh)
            sys.stdout.flush()
        if not follow:
            if not fresh:
                typer.echo("no open alerts")
            return
        time.sleep(interval)


def status(
    claim_id: str,
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    api: str | None = API_OPTION,
) -> None:
    """A claim's status, money, deadlines, the payer's codes, findings and who did what."""
    base = api_url(api)
    response = request("GET", f"{base}/claims/{claim_id}")
    if response.status_code != 200:
        explain(response)
    view = response.json()
    if as_json:
        typer.echo(json.dumps(view))
        return
    events = request("GET", f"{base}/claims/{claim_id}/events")
    timeline = events.json() if events.status_code == 200 else []
    out = console()
    out.print(f"claim {view['claim_id']}  {view['status']}  payer {view['payer_id']}")
    out.print(
        f"  charge {view['total_charge']}  paid {view['paid_amount']}  "
        f"patient {view['patient_responsibility']}  still owed {view['outstanding_amount']}"
    )
    if view.get("appeal_deadline"):
        out.print(
            f"  appeal deadline {view['appeal_deadline'][:16]} (level {view['appeal_level'] + 1})"
        )
    if view.get("follow_up_due"):
        out.print(f"  payer follow-up due {view['follow_up_due'][:16]}")
    rem = view.get("adjudication")
    if rem:
        out.print(f"  payer decision: {rem['decision']}")
        for a in rem["adjustments"]:
            meaning = carc_description(a["carc"]) or ""
            out.print(f"    {a['group']}-{a['carc']} {a['amount']:>10}  {meaning}")
            for r in a.get("rarcs", []):
                out.print(f"      {r}: {rarc_description(r) or 'no description on file'}")
        for r in rem.get("remark_codes", []):
            out.print(f"    remark {r}: {rarc_description(r) or 'no description on file'}")
    _print_money(out, view)
    if view.get("denial_reasons"):
        out.print(f"  denial reasons: {', '.join(view['denial_reasons'])}")
    pending = view.get("pending_write_off")
    if pending:
        by = (pending.get("requested_by") or {}).get("name", "?")
        out.print(
            f"  write-off of {pending['amount']} asked by {by} waits for a supervisor: "
            f"{pending['reason']}"
        )
    for report in (view.get("reports") or {}).values():
        for finding in report["findings"]:
            out.print(f"  {finding['severity']}: {finding['code']} {finding['field']}:")
            out.print(f"      {finding['message']}")
    table = _table("history")
    for name in ("#", "when", "status", "why", "who"):
        table.add_column(name)
    previous_owed: str | None = None
    for event in timeline:
        data = event["data"]
        why = data.get("reason") or ""
        if data["status"] == "WRITTEN_OFF" and previous_owed:
            why = f"{why} (wrote off {previous_owed})".strip()
        previous_owed = data.get("outstanding_amount") or previous_owed
        table.add_row(str(data["seq"]), event["time"][:19], data["status"], why, _who(data))
    if not timeline:  # not projected yet: the workflow's own history
        for entry in view["history"]:
            table.add_row(
                str(entry["seq"]), entry["at"][:19], entry["status"], entry.get("reason") or "",
                _who(entry),
            )  # fmt: skip
    out.print(table)


def _who(data: dict[str, Any]) -> str:
    """Who made a step: the actor's name and channel (absent: the payer or the engine)."""
    actor = data.get("actor")
    return f"{actor['name']} ({actor['channel']})" if actor else "system"


def _print_money(out: Console, view: dict[str, Any]) -> None:
    """The ledger's balances and the service lines as a biller reconciles them."""
    money = view.get("balances")
    if not money:
        return
    out.print(
        f"  patient balance {money['patient_balance']} (deductible {money['deductible']}, "
        f"coinsurance {money['coinsurance']}, copay {money['copay']}, non-covered "
        f"{money['non_covered']})  contractual {money['contractual']}  denied "
        f"{money['denied']}  written off {money['written_off']}"
    )
    if money["recoupment_expected"] != "0.00":
        out.print(f"  recoupment expected {money['recoupment_expected']} (overpaid or voided)")
    for line in view.get("lines") or []:
        adjustments = ", ".join(
            f"{a['group']}-{a['carc']} {a['amount']}"
            + (f" ({' '.join(a['rarcs'])})" if a["rarcs"] else "")
            for a in line["adjustments"]
        )
        out.print(
            f"  line {line['line']} {line['procedure_code'] or '?'}: charge {line['charge']}  "
            f"allowed {line['allowed']}  paid {line['paid']}"
            + (f"  adjustments {adjustments}" if adjustments else "")
        )


def register(app: typer.Typer) -> None:
    app.command()(submit)
    app.command("list")(list_claims)
    app.command()(alerts)
    app.command()(status)
