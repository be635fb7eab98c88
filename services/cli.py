"""``claimflow``: the command line for billers, operators and the processes themselves.

Commands that act on claims go through the HTTP API (one place validates and, later,
authorises); ``events`` reads Kafka directly, because that is what a downstream consumer
sees. Every failure prints one line saying what is wrong and exits non-zero; no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from services.cli_auth import apikey_app, audit, keys_app, token_app, users_app
from services.cli_common import (
    API_OPTION,
    CliError,
    act,
    api_url,
    claim_body,
    explain,
    fail,
    load_claim,
    request,
)
from services.cli_db import db_app
from services.cli_dlq import dlq_app
from services.cli_events import events_app
from services.cli_payers import payers_app
from services.cli_webhooks import webhooks_app
from services.cli_writeoff import approve_write_off, reject_write_off
from services.cli_x12 import remit, x12_app
from services.settings import get_settings
from services.stack.cli import stack_app

app = typer.Typer(
    help="claimflow: the medical claim lifecycle engine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(stack_app, name="stack")
app.add_typer(x12_app, name="x12")
app.add_typer(db_app, name="db")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(events_app, name="events")
app.add_typer(payers_app, name="payers")
app.add_typer(dlq_app, name="dlq")
app.command()(remit)
app.add_typer(users_app, name="users")
app.add_typer(token_app, name="token")
app.add_typer(apikey_app, name="apikey")
app.add_typer(keys_app, name="keys")
app.command()(audit)
app.command("approve-write-off")(approve_write_off)
app.command("reject-write-off")(reject_write_off)


@app.command()
def submit(file: Path, api: str | None = API_OPTION) -> None:
    """Submit a claim JSON file (claimflow format or a FHIR R4 Claim); prints the claim id."""
    response = request("POST", f"{api_url(api)}/claims", json=claim_body(file))
    if response.status_code != 202:
        explain(response)
    typer.echo(response.json()["claim_id"])


@app.command()
def scrub(
    file: Path, as_json: bool = typer.Option(False, "--json", help="The reports as JSON.")
) -> None:
    """Code and scrub a claim file locally, without submitting it.

    Exit 0: clean (warnings allowed); 1: findings that block submission; 2: unreadable input.
    The duplicate-claim edit needs the read model and is not run here.
    """
    import datetime as dt

    from claims.coding import check_coding
    from claims.scrub import scrub as scrub_claim

    claim = load_claim(file)
    reports = [check_coding(claim), scrub_claim(claim, today=dt.date.today())]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in reports], indent=2))
    else:
        for report in reports:
            typer.echo(f"{report.stage}: {'clean' if not report.findings else ''}".rstrip())
            for f in report.findings:
                typer.echo(f"  {f.severity:<7} {f.code:<32} {f.field}")
                typer.echo(f"          {f.message}")
                if f.candidates:
                    typer.echo(f"          candidates: {', '.join(f.candidates)}")
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


def _send_correction(
    verb: str, claim_id: str, file: Path, note: str | None, api: str | None
) -> None:
    body = {"claim": claim_body(file), "note": note}
    response = request("POST", f"{api_url(api)}/claims/{claim_id}/{verb}", json=body)
    if response.status_code != 200:
        explain(response)
    typer.echo(f"claim {claim_id}: {verb} accepted; it goes through coding and scrubbing again")


@app.command()
def recode(
    claim_id: str,
    file: Path,
    note: str | None = typer.Option(None, "--note"),
    api: str | None = API_OPTION,
) -> None:
    """Send corrected codes for a claim in CODING_REVIEW (the whole corrected claim file)."""
    _send_correction("recode", claim_id, file, note, api)


@app.command()
def correct(
    claim_id: str,
    file: Path,
    note: str | None = typer.Option(None, "--note"),
    api: str | None = API_OPTION,
) -> None:
    """Send a corrected claim for a claim in SCRUB_FAILED (the whole corrected claim file)."""
    _send_correction("correct", claim_id, file, note, api)


@app.command()
def status(
    claim_id: str,
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    api: str | None = API_OPTION,
) -> None:
    """Show a claim's status, amounts and stage history."""
    response = request("GET", f"{api_url(api)}/claims/{claim_id}")
    if response.status_code != 200:
        explain(response)
    view = response.json()
    if as_json:
        typer.echo(json.dumps(view))
        return
    typer.echo(f"claim {view['claim_id']}  {view['status']}  payer {view['payer_id']}")
    typer.echo(
        f"  charge {view['total_charge']}  paid {view['paid_amount']}  "
        f"patient {view['patient_responsibility']}  outstanding {view['outstanding_amount']}"
    )
    _print_money(view)
    if view.get("denial_reasons"):
        typer.echo(f"  denial reasons: {', '.join(view['denial_reasons'])}")
    for report in (view.get("reports") or {}).values():
        for finding in report["findings"]:
            typer.echo(
                f"  {finding['severity']}: {finding['code']} {finding['field']}: "
                f"{finding['message']}"
            )
    pending = view.get("pending_write_off")
    if pending:
        by = (pending.get("requested_by") or {}).get("name", "?")
        typer.echo(
            f"  write-off of {pending['amount']} asked by {by} waits for a supervisor: "
            f"{pending['reason']}"
        )
    for entry in view["history"]:
        reason = f"  ({entry['reason']})" if entry.get("reason") else ""
        actor = entry.get("actor")
        who = f"  by {actor['name']} ({actor['channel']})" if actor else ""
        typer.echo(f"  {entry['seq']:>3}  {entry['at']}  {entry['status']}{reason}{who}")


def _print_money(view: dict[str, Any]) -> None:
    """The ledger's balances and the service lines as a biller reconciles them."""
    money = view.get("balances")
    if not money:
        return
    typer.echo(
        f"  patient balance {money['patient_balance']} (deductible {money['deductible']}, "
        f"coinsurance {money['coinsurance']}, copay {money['copay']}, non-covered "
        f"{money['non_covered']})  contractual {money['contractual']}  denied "
        f"{money['denied']}  written off {money['written_off']}"
    )
    if money["recoupment_expected"] != "0.00":
        typer.echo(f"  recoupment expected {money['recoupment_expected']} (overpaid or voided)")
    for line in view.get("lines") or []:
        adjustments = ", ".join(
            f"{a['group']}-{a['carc']} {a['amount']}"
            + (f" ({' '.join(a['rarcs'])})" if a["rarcs"] else "")
            for a in line["adjustments"]
        )
        typer.echo(
            f"  line {line['line']} {line['procedure_code'] or '?'}: charge {line['charge']}  "
            f"allowed {line['allowed']}  paid {line['paid']}"
            + (f"  adjustments {adjustments}" if adjustments else "")
        )


@app.command()
def appeal(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="Why the denial is wrong."),
    note: str | None = typer.Option(None, "--note"),
    attachment: list[str] = typer.Option([], "--attachment", help="Attachment reference."),
    api: str | None = API_OPTION,
) -> None:
    """Appeal a DENIED claim."""
    body = {"reason": reason, "note": note, "attachments": attachment}
    response = request("POST", f"{api_url(api)}/claims/{claim_id}/appeal", json=body)
    if response.status_code != 200:
        explain(response)
    result = response.json()
    typer.echo(f"claim {result['claim_id']} {result['status']} (level {result['level']})")


@app.command()
def void(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="Why the claim is voided."),
    api: str | None = API_OPTION,
) -> None:
    """Void a claim the payer has (sends frequency 8 with the payer's control number)."""
    act(claim_id, "void", {"reason": reason}, api)


@app.command()
def replace(
    claim_id: str,
    file: Path,
    note: str | None = typer.Option(None, "--note"),
    api: str | None = API_OPTION,
) -> None:
    """Replace a claim the payer has with a corrected one (sends frequency 7)."""
    act(claim_id, "replace", {"claim": claim_body(file), "note": note}, api)


@app.command("write-off")
def write_off(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="The business reason, for the audit."),
    note: str | None = typer.Option(None, "--note"),
    api: str | None = API_OPTION,
) -> None:
    """Write off what a claim still owes (above the threshold a supervisor must approve)."""
    act(claim_id, "write-off", {"reason": reason, "note": note}, api)


schema_app = typer.Typer(help="Print the JSON Schemas of the claim format and the events.")
app.add_typer(schema_app, name="schema")


@schema_app.command("claim")
def schema_claim() -> None:
    """The claim JSON format accepted by POST /claims and `claimflow submit`."""
    from events import schemas

    typer.echo(schemas.render(schemas.generated()["claim.v1.json"]), nl=False)


@schema_app.command("event")
def schema_event() -> None:
    """The v1 claim event envelope published on claims.lifecycle.v1."""
    from events import schemas

    typer.echo(schemas.render(schemas.generated()["claim-event.v1.json"]), nl=False)


@schema_app.command("write")
def schema_write() -> None:
    """Regenerate the checked-in schema files under events/schemas/."""
    from events import schemas

    for path in schemas.write():
        typer.echo(f"wrote {path}")


@schema_app.command("release")
def schema_release(version: str) -> None:
    """Keep the current event schemas as a released contract version (e.g. 1.1.0).

    Refused when the change since any earlier release would break its consumers.
    """
    from events import schemas

    try:
        paths = schemas.release(version)
    except ValueError as exc:
        fail(str(exc))
    for path in paths:
        typer.echo(f"wrote {path}")


DIAGRAM_START = "<!-- transitions:start (generated by `claimflow diagram --write`) -->"
DIAGRAM_END = "<!-- transitions:end -->"


@app.command()
def diagram(
    write: bool = typer.Option(False, "--write", help="Update the diagram in README.md."),
) -> None:
    """The claim lifecycle as a Mermaid diagram, generated from the transition table."""
    from claims.status import mermaid
    from services.settings import REPO_ROOT

    block = f"```mermaid\n{mermaid()}```"
    if not write:
        typer.echo(block)
        return
    readme = REPO_ROOT / "README.md"
    text = readme.read_text()
    if DIAGRAM_START not in text or DIAGRAM_END not in text:
        fail(f"{readme} has no {DIAGRAM_START} ... {DIAGRAM_END} markers")
    head, rest = text.split(DIAGRAM_START, 1)
    _, tail = rest.split(DIAGRAM_END, 1)
    readme.write_text(f"{head}{DIAGRAM_START}\n{block}\n{DIAGRAM_END}{tail}")
    typer.echo(f"updated {readme}")


@app.command()
def worker() -> None:
    """Run the Temporal worker (ClaimWorkflow and its activities)."""
    from events.connection import KafkaUnavailable
    from services import worker as worker_process

    try:
        worker_process.main(get_settings())
    except KafkaUnavailable as exc:
        fail(str(exc))


@app.command()
def consumer() -> None:
    """Run the event consumer (projects Kafka events into the read model)."""
    from events.connection import KafkaUnavailable
    from services import consumer as consumer_process

    sys.argv = [sys.argv[0], "worker"]  # faust's Worker reads argv
    try:
        consumer_process.main(get_settings())
    except KafkaUnavailable as exc:
        fail(str(exc))


@app.command("webhook-delivery")
def webhook_delivery() -> None:
    """Run the webhook delivery process (POSTs events to the webhook subscriptions)."""
    from services.webhooks import process as delivery_process

    delivery_process.main(get_settings())


@app.command()
def api() -> None:
    """Run the HTTP API."""
    import uvicorn

    from services.api import create_app
    from services.observability import start_process_observability

    settings = get_settings()
    start_process_observability(settings, "api", handles_sigterm=True)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        log_config=None,  # keep claimflow's log format
    )


@app.command()
def inbox() -> None:
    """Take in payer files dropped into <state>/x12/inbound (a clearinghouse's file drop)."""
    import asyncio

    from services.db import init_db, make_engine
    from services.inbox import watch
    from services.observability import start_process_observability
    from services.temporal import connect

    settings = get_settings()
    start_process_observability(settings, "inbox")
    engine = make_engine(settings.resolved_database_url)
    init_db(engine, auto_migrate=settings.auto_migrate)

    async def main() -> None:
        await watch(settings, engine, await connect(settings))

    asyncio.run(main())


@app.command("payer-sim")
def payer_sim() -> None:
    """Run the payer simulator."""
    import uvicorn

    from services.observability import install_observability, start_process_observability
    from services.payersim.app import create_app
    from services.payersim.outbox import Outbox, outbox_for
    from services.signals import temporal_signaller
    from services.temporal import connect

    settings = get_settings()
    start_process_observability(settings, "payer-sim", handles_sigterm=True)
    key = settings.payer_api_key.get_secret_value() if settings.payer_api_key else None

    async def make_outbox() -> Outbox:
        return outbox_for(
            settings.payer_gateway,
            signal=temporal_signaller(await connect(settings)),
            inbound_url=f"{settings.api_url}/x12/inbound",
            receiver_id=settings.x12_sender_id,
            truncate_to=settings.payer_truncate_clm01_to,
            api_key=key,
        )

    app = create_app(
        make_outbox,
        delay=settings.payer_delay_seconds,
        check_run=settings.payer_check_run_seconds,
    )
    install_observability(app, settings, process="payer-sim", read_model=False)
    uvicorn.run(
        app,
        host=settings.payer_host,
        port=settings.payer_port,
        log_level="warning",
        log_config=None,  # keep claimflow's log format
    )


@app.command()
def run(
    examples: Path = typer.Option(Path("examples"), help="Folder of sample claims to feed."),
) -> None:
    """Start the stack and every claimflow process, feed the samples, run until Ctrl-C."""
    from services.runner import run_all

    run_all(get_settings(), examples)


@app.command()
def down() -> None:
    """Stop a running `make run`, claimflow's processes and the local stack; keep state."""
    from services import apps, stack
    from services.runner import stop_run

    settings = get_settings()
    if stop_run(settings):
        typer.echo("stopped make run")
    apps.stop_all(settings)
    stack.down(settings)
    typer.echo("stopped")


@app.command()
def reset() -> None:
    """Stop everything and delete the local state (workflows, topics, read model, logs)."""
    from services import apps, stack
    from services.runner import stop_run

    settings = get_settings()
    stop_run(settings)
    apps.stop_all(settings)
    stack.reset(settings)
    typer.echo(f"deleted {settings.state_dir}")


def main() -> None:
    try:
        app()
    except CliError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(exc.code)
