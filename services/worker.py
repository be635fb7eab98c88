"""The Temporal worker process: ClaimWorkflow plus every activity, with their clients."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.delivery import DeliveryActivities, UnmatchedStore
from activities.payer import PayerActivities, PayerGateway
from activities.publishing import PublishActivities
from activities.stages import DuplicateIndex, StageActivities
from claims import icd10, ncci
from events import topics
from events.producer import EventProducer
from services.attachments import AttachmentStore
from services.db import init_db, make_engine
from services.fingerprints import SqlDuplicateIndex
from services.gateway import HttpPayerGateway
from services.inbound_store import SqlUnmatchedStore
from services.settings import Settings
from services.signals import temporal_signaller
from services.temporal import connect
from services.x12_gateway import FileExchangeGateway, X12HttpGateway
from workflows.claim import ClaimWorkflow
from workflows.posting import PostingWorkflow


def build_worker(
    client: Client,
    *,
    task_queue: str,
    producer: EventProducer,
    gateway: PayerGateway,
    executor: ThreadPoolExecutor,
    unmatched: UnmatchedStore,
    duplicates: DuplicateIndex | None = None,
) -> Worker:
    publishing = PublishActivities(producer)
    payer = PayerActivities(gateway)
    stages = StageActivities(duplicates)
    delivery = DeliveryActivities(temporal_signaller(client), unmatched)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ClaimWorkflow, PostingWorkflow],
        activities=[
            stages.check_coding,
            stages.scrub_claim,
            publishing.publish_event,
            publishing.publish_alert,
            payer.submit_claim,
            payer.submit_appeal,
            payer.inquire_status,
            delivery.deliver_payer_messages,
        ],
        # kafka-python is synchronous: the publish activity runs on these threads.
        activity_executor=executor,
    )


def make_producer(settings: Settings) -> EventProducer:
    return EventProducer(
        settings.kafka_bootstrap,
        lifecycle_topic=settings.topic(topics.LIFECYCLE),
        state_topic=settings.topic(topics.STATE),
        alerts_topic=settings.topic(topics.ALERTS),
    )


def make_gateway(settings: Settings, engine: Engine) -> PayerGateway:
    if settings.payer_gateway == "json":
        return HttpPayerGateway(settings.payer_url, attachments=AttachmentStore(settings, engine))
    if settings.payer_gateway == "file":
        return FileExchangeGateway(settings, engine)
    return X12HttpGateway(settings, engine)


def warm_up() -> None:
    """Load the code sets and edit tables now, not inside the first claim's activity.

    The ICD-10-CM tabular takes seconds to parse; inside an async activity that would stall
    the worker's event loop and every other activity on it.
    """
    icd10.preload()
    ncci.default_tables()


@asynccontextmanager
async def running_worker(
    settings: Settings, client: Client, *, threads: int = 16
) -> AsyncIterator[Worker]:
    """The production worker with everything it needs, polling until the block exits.

    ``threads`` is the pool the synchronous activities (Kafka publishing, database) run on.
    """
    warm_up()
    engine = make_engine(settings.resolved_database_url)
    init_db(engine)
    producer = make_producer(settings)
    gateway = make_gateway(settings, engine)
    with ThreadPoolExecutor(max_workers=threads) as executor:
        worker = build_worker(
            client,
            task_queue=settings.task_queue,
            producer=producer,
            gateway=gateway,
            executor=executor,
            duplicates=SqlDuplicateIndex(engine),
            unmatched=SqlUnmatchedStore(engine),
        )
        try:
            async with worker:
                yield worker
        finally:
            await gateway.aclose()
            producer.close()
            engine.dispose()


async def run(settings: Settings) -> None:
    client = await connect(settings)
    async with running_worker(settings, client):
        logging.getLogger(__name__).info("worker polling task queue %s", settings.task_queue)
        await asyncio.Event().wait()  # until the process is stopped


def main(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run(settings))
