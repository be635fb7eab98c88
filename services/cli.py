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

from services.cli_common import API_OPTION, CliError, api_url, explain, fail, load_json, request
from services.cli_dlq import dlq_app
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
app.add_typer(dlq_app, name="dlq")
app.command()(remit)


def _is_fhir(body: Any) -> bool:
    return isinstance(body, dict) and body.get("resourceType") == "Claim"


@app.command()
def submit(file: Path, api: str | None = API_OPTION) -> None:
    """Submit a claim JSON file (claimflow format or a FHIR R4 Claim); prints the claim id."""
    body = load_json(file)
    path = "/fhir/Claim" if _is_fhir(body) else "/claims"
    response = request("POST", f"{api_url(api)}{path}", json=body)
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

    from pydantic import ValidationError

    from claims.coding import check_coding
    from claims.fhir import FhirMappingError, claim_from_fhir
    from claims.model import Claim
    from claims.scrub import scrub as scrub_claim

    body = load_json(file)
    try:
        claim = claim_from_fhir(body) if _is_fhir(body) else Claim.model_validate(body)
    except FhirMappingError as exc:
        fail(f"{file}: cannot map the FHIR Claim: {exc}", 2)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in e['loc']) or 'claim'}: {e['msg']}" for e in exc.errors()
        )
        fail(f"{file}: not a valid claim:\n{problems}", 2)
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
    body = {"claim": load_json(file), "note": note}
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
    if view.get("denial_reasons"):
        typer.echo(f"  denial reasons: {', '.join(view['denial_reasons'])}")
    for report in (view.get("reports") or {}).values():
        for finding in report["findings"]:
            typer.echo(
                f"  {finding['severity']}: {finding['code']} {finding['field']}: "
                f"{finding['message']}"
            )
    for entry in view["history"]:
        reason = f"  ({entry['reason']})" if entry.get("reason") else ""
        typer.echo(f"  {entry['seq']:>3}  {entry['at']}  {entry['status']}{reason}")


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


def _act(claim_id: str, verb: str, body: dict[str, Any], api: str | None) -> None:
    response = request("POST", f"{api_url(api)}/claims/{claim_id}/{verb}", json=body)
    if response.status_code != 200:
        explain(response)
    result = response.json()
    typer.echo(f"claim {result['claim_id']} {result['status']} (seq {result['seq']})")


@app.command()
def void(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="Why the claim is voided."),
    api: str | None = API_OPTION,
) -> None:
    """Void a claim the payer has (sends frequency 8 with the payer's control number)."""
    _act(claim_id, "void", {"reason": reason}, api)


@app.command()
def replace(
    claim_id: str,
    file: Path,
    note: str | None = typer.Option(None, "--note"),
    api: str | None = API_OPTION,
) -> None:
    """Replace a claim the payer has with a corrected one (sends frequency 7)."""
    _act(claim_id, "replace", {"claim": load_json(file), "note": note}, api)


@app.command("write-off")
def write_off(
    claim_id: str,
    reason: str = typer.Option(..., "--reason", help="The business reason, for the audit."),
    note: str | None = typer.Option(None, "--note"),
    api: str | None = API_OPTION,
) -> None:
    """Write off what a claim still owes."""
    _act(claim_id, "write-off", {"reason": reason, "note": note}, api)


@app.command()
def events(
    claim_id: str, as_json: bool = typer.Option(False, "--json", help="One CloudEvent per line.")
) -> None:
    """Read a claim's events back from Kafka, in order."""
    from events import topics
    from events.reader import read_claim_events

    settings = get_settings()
    try:
        found = read_claim_events(
            settings.kafka_bootstrap, settings.topic(topics.LIFECYCLE), claim_id
        )
    except LookupError as exc:
        fail(str(exc))
    except Exception as exc:  # kafka-python raises many kinds for "no broker"
        fail(f"cannot read events from Kafka at {settings.kafka_bootstrap}: {exc}")
    if not found:
        fail(f"no events for claim {claim_id}")
    for event in found:
        if as_json:
            typer.echo(event.model_dump_json())
        else:
            typer.echo(f"{event.seq:>3}  {event.time.isoformat()}  {event.type}")


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
    from services import worker as worker_process

    worker_process.main(get_settings())


@app.command()
def consumer() -> None:
    """Run the event consumer (projects Kafka events into the read model)."""
    from services import consumer as consumer_process

    sys.argv = [sys.argv[0], "worker"]  # faust's Worker reads argv
    consumer_process.main(get_settings())


@app.command()
def api() -> None:
    """Run the HTTP API."""
    import uvicorn

    from services.api import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings), host=settings.api_host, port=settings.api_port, log_level="warning"
    )


@app.command()
def inbox() -> None:
    """Take in payer files dropped into <state>/x12/inbound (a clearinghouse's file drop)."""
    import asyncio

    from services.db import init_db, make_engine
    from services.inbox import watch
    from services.temporal import connect

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    init_db(engine)

    async def main() -> None:
        await watch(settings, engine, await connect(settings))

    asyncio.run(main())


@app.command("payer-sim")
def payer_sim() -> None:
    """Run the payer simulator."""
    import uvicorn

    from services.payersim.app import create_app
    from services.payersim.outbox import Outbox, outbox_for
    from services.signals import temporal_signaller
    from services.temporal import connect

    settings = get_settings()

    async def make_outbox() -> Outbox:
        return outbox_for(
            settings.payer_gateway,
            signal=temporal_signaller(await connect(settings)),
            inbound_url=f"{settings.api_url}/x12/inbound",
            receiver_id=settings.x12_sender_id,
        )

    uvicorn.run(
        create_app(make_outbox, delay=settings.payer_delay_seconds),
        host=settings.payer_host,
        port=settings.payer_port,
        log_level="warning",
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
