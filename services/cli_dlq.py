"""``claimflow dlq ...``: look at dead letters and send them back once their cause is fixed.

A dead letter is a record a consumer could not handle (see ``events.dead_letters``). The
usual cycle: ``dlq list`` shows what failed and why; the cause is fixed (a consumer
upgrade, a read-model schema fix); ``dlq replay`` sends each record not replayed before
back to its topic, and the consumers take it like any other record (de-duplicated).
"""

from __future__ import annotations

import json

import typer

from events import topics
from services.cli_common import fail
from services.settings import get_settings

dlq_app = typer.Typer(help="Dead letters: records a consumer could not handle.")


@dlq_app.command("list")
def list_letters(
    as_json: bool = typer.Option(False, "--json", help="One JSON object a line."),
) -> None:
    """Every dead letter, oldest first: where it came from and why it failed."""
    from events.dead_letters import read_letters  # here: Kafka's client only when it is used

    settings = get_settings()
    try:
        letters = read_letters(settings.kafka_bootstrap, settings.topic(topics.DLQ))
    except Exception as exc:
        fail(f"cannot read the DLQ from Kafka at {settings.kafka_bootstrap}: {exc}")
    for letter in letters:
        if as_json:
            typer.echo(letter.model_dump_json())
        else:
            where = f"{letter.topic}:{letter.partition}@{letter.offset}"
            typer.echo(
                f"{letter.failed_at:%Y-%m-%d %H:%M:%S}  {where}  key={letter.key}  {letter.reason}"
            )
    if not as_json:
        typer.echo(f"{len(letters)} dead letter(s)")


@dlq_app.command("replay")
def replay_letters(
    reason_contains: str | None = typer.Option(
        None, "--reason-contains", help="Replay only letters whose reason contains this."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be replayed."),
    group: str = typer.Option(
        "claimflow-dlq-replay", help="Consumer group that remembers what was replayed."
    ),
) -> None:
    """Send every dead letter not looked at before back to the topic it came from.

    Each letter is looked at once per --group; one filtered out by --reason-contains is
    skipped for good in that group (it stays on the DLQ for `dlq list`).
    """
    from events.dead_letters import replay

    settings = get_settings()
    ours = [settings.topic(spec.name) for spec in topics.ALL_TOPICS if spec.name != topics.DLQ]
    try:
        report = replay(
            settings.kafka_bootstrap,
            settings.topic(topics.DLQ),
            allowed_topics=ours,
            group=settings.topic(group),
            reason_contains=reason_contains,
            dry_run=dry_run,
        )
    except Exception as exc:
        fail(f"cannot replay the DLQ on Kafka at {settings.kafka_bootstrap}: {exc}")
    verb = "would replay" if dry_run else "replayed"
    for letter in report.replayed:
        typer.echo(f"{verb} {letter.topic}:{letter.partition}@{letter.offset} ({letter.reason})")
    for letter, why in report.skipped:
        typer.echo(f"skipped {letter.topic}:{letter.partition}@{letter.offset}: {why}", err=True)
    summary = {"replayed": len(report.replayed), "skipped": len(report.skipped), "dry_run": dry_run}
    typer.echo(json.dumps(summary))
