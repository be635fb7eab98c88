"""``claimflow events``: one claim's events, or the live stream, read from Kafka directly.

Reading Kafka rather than the API is deliberate: it shows what a downstream consumer sees.
``claimflow events CLAIM_ID`` stays the short form of ``claimflow events show CLAIM_ID``.
``tail`` joins no consumer group (it commits nothing, so it adds no lag anywhere).
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from services.cli_common import fail
from services.settings import Settings, get_settings


class _ShowByDefault(TyperGroup):
    """``events <claim id>`` means ``events show <claim id>``."""

    # typer vendors its own click, so its types are not click's: leave them to the base.
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


events_app = typer.Typer(
    cls=_ShowByDefault,
    help="Claim events from Kafka: one claim's (events CLAIM_ID) or the live stream (tail).",
    no_args_is_help=True,
)


@events_app.command("show")
def show(
    claim_id: str, as_json: bool = typer.Option(False, "--json", help="One CloudEvent per line.")
) -> None:
    """Read a claim's events back from Kafka, in order."""
    from events import topics
    from events.reader import read_claim_events

    settings = get_settings()
    try:
        found = read_claim_events(
            settings.kafka_connection, settings.topic(topics.LIFECYCLE), claim_id
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


def _line(event: dict[str, Any]) -> str:
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    what = data.get("status") or data.get("kind") or ""
    return (
        f"{event.get('time', ''):<32} {event['id']:<34} {event['type']:<40} "
        f"{what:<15} {data.get('payer_id', '')}"
    )


def _consumer(settings: Settings, sources: list[str], from_beginning: bool) -> Any:
    from kafka import KafkaConsumer, TopicPartition

    from events.connection import client_kwargs

    try:
        consumer = KafkaConsumer(
            **client_kwargs(settings.kafka_connection),
            enable_auto_commit=False,
            client_id="claimflow-tail",
        )
        found = {topic: consumer.partitions_for_topic(topic) for topic in sources}
    except Exception as exc:  # kafka-python raises many kinds for "no broker"
        fail(f"cannot read events from Kafka at {settings.kafka_bootstrap}: {exc}")
    missing = [topic for topic, parts in found.items() if not parts]
    if missing:
        consumer.close()
        fail(f"topic {missing[0]} does not exist on {settings.kafka_bootstrap}")
    partitions = [TopicPartition(t, p) for t, parts in found.items() for p in sorted(parts)]
    consumer.assign(partitions)
    if from_beginning:
        consumer.seek_to_beginning(*partitions)
    else:
        consumer.seek_to_end(*partitions)
    for tp in partitions:  # resolve the positions now, so "following" is true when printed
        consumer.position(tp)
    return consumer


@events_app.command("tail")
def tail(
    event_type: list[str] = typer.Option(
        [], "--type", help="Only these event types or patterns, e.g. 'claimflow.claim.denied.v1'."
    ),
    payer: list[str] = typer.Option([], "--payer", help="Only claims of this payer (repeatable)."),
    from_beginning: bool = typer.Option(
        False, "--from-beginning", help="Start with the oldest event kept, not the next one."
    ),
    alerts: bool = typer.Option(False, "--alerts", help="Also follow claims.alerts.v1."),
    as_json: bool = typer.Option(False, "--json", help="Each event as one JSON line."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Stop after this many."),
) -> None:
    """Follow the event stream live (Ctrl-C stops), filtered by type and payer."""
    from events import topics
    from services.webhooks.binding import read_envelope
    from services.webhooks.models import check_event_types, matches

    try:
        patterns = check_event_types(event_type) if event_type else ["*"]
    except ValueError as exc:
        fail(f"--type: {exc}")
    settings = get_settings()
    sources = [settings.topic(topics.LIFECYCLE)]
    if alerts:
        sources.append(settings.topic(topics.ALERTS))
    consumer = _consumer(settings, sources, from_beginning)
    typer.echo(f"following {', '.join(sources)} (Ctrl-C stops)", err=True)
    shown = 0
    try:
        while limit is None or shown < limit:
            batch = consumer.poll(timeout_ms=500)
            records = sorted(
                (r for rs in batch.values() for r in rs), key=lambda r: (r.timestamp, r.offset)
            )
            for record in records:
                envelope = read_envelope(record.value or b"")
                if envelope is None or not matches(
                    patterns, payer, envelope.type, envelope.payer_id
                ):
                    continue
                if as_json:
                    typer.echo(envelope.raw.decode())
                else:
                    typer.echo(_line(envelope.attributes))
                shown += 1
                if limit is not None and shown >= limit:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
