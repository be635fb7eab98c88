"""The event consumer process: the faust app projecting claim events and alerts into the
read model."""

from __future__ import annotations

import faust

from events import topics
from events.admin import ensure_topics, wait_for_topics
from events.stream import build_app, register_alert_projector, register_projector
from services.alerts_store import SqlAlertStore
from services.db import init_db, make_engine
from services.readmodel import SqlReadModel
from services.settings import Settings


def prepare_topics(settings: Settings) -> list[str]:
    return ensure_topics(
        settings.kafka_bootstrap,
        [(settings.topic(spec.name), spec) for spec in topics.ALL_TOPICS],
        partitions=settings.topic_partitions,
        replication_factor=settings.topic_replication_factor,
        min_insync_replicas=settings.topic_min_insync_replicas,
    )


def build(settings: Settings) -> faust.App:
    engine = make_engine(settings.resolved_database_url)
    init_db(engine)
    app = build_app(
        app_id=settings.topic(settings.projector_group),
        bootstrap=settings.kafka_bootstrap,
        partitions=settings.topic_partitions,
        datadir=settings.state_dir / "faust",
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
    prepare_topics(settings)
    wait_for_topics(
        settings.kafka_bootstrap, [settings.topic(spec.name) for spec in topics.ALL_TOPICS]
    )
    app = build(settings)
    worker = faust.Worker(app, loglevel="warning", quiet=True)
    worker.execute_from_commandline()
