"""The event consumer process: the faust app projecting claim events and alerts into the
read model."""

from __future__ import annotations

import faust

from events import topics
from events.admin import ensure_topics, wait_for_topics
from events.connection import check_connection
from events.stream import build_app, register_alert_projector, register_projector
from services.alerts_store import SqlAlertStore
from services.db import init_db, make_engine
from services.observability import start_process_observability
from services.readmodel import SqlReadModel
from services.settings import Settings


def prepare_topics(settings: Settings) -> list[str]:
    return ensure_topics(
        settings.kafka_connection,
        [(settings.topic(spec.name), spec) for spec in topics.ALL_TOPICS],
        partitions=settings.topic_partitions,
        replication_factor=settings.topic_replication_factor,
        min_insync_replicas=settings.topic_min_insync_replicas,
    )


def build(settings: Settings) -> faust.App:
    engine = make_engine(settings.resolved_database_url)
    init_db(engine, auto_migrate=settings.auto_migrate)
    # One data dir per projector instance (two may share a state dir); faust makes only the leaf.
    datadir = settings.state_dir / "faust" / (settings.instance or "consumer")
    datadir.mkdir(parents=True, exist_ok=True)
    app = build_app(
        app_id=settings.topic(settings.projector_group),
        bootstrap=settings.kafka_connection,
        partitions=settings.topic_partitions,
        datadir=datadir,
        session_timeout_s=settings.consumer_session_timeout_seconds,
    )
    register_projector(
        app,
        lifecycle_topic=settings.topic(topics.LIFECYCLE),
        dlq_topic=settings.topic(topics.DLQ),
        store=SqlReadModel(engine),
    )
    register_alert_projector(
        app,
        alerts_topic=settings.topic(topics.ALERTS),
        dlq_topic=settings.topic(topics.DLQ),
        store=SqlAlertStore(engine),
    )
    return app


def main(settings: Settings) -> None:
    handler = start_process_observability(settings, "consumer", handles_sigterm=True)
    check_connection(settings.kafka_connection)  # a wrong password fails here, by name
    prepare_topics(settings)
    wait_for_topics(
        settings.kafka_connection, [settings.topic(spec.name) for spec in topics.ALL_TOPICS]
    )
    app = build(settings)
    # faust sets up logging again when its worker starts: an empty config (nothing but
    # version) leaves the loggers alone, and the handler comes back as the only root handler.
    app.conf.loghandlers = [handler]
    worker = faust.Worker(
        app,
        loglevel=settings.log_level.lower(),
        quiet=True,
        logging_config={"version": 1, "disable_existing_loggers": False},
    )
    worker.execute_from_commandline()
