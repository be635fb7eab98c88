"""The Temporal worker process: ClaimWorkflow plus every activity, with their clients."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.delivery import DeliveryActivities, PageSource, UnmatchedStore
from activities.eligibility import EligibilityActivities
from activities.payer import PayerActivities, PayerGateway
from activities.publishing import PublishActivities
from activities.stages import DuplicateIndex, StageActivities
from claims import ncci
from events import topics
from events.connection import check_connection
from events.producer import EventProducer
from services import code_index, x12_store
from services.attachments import AttachmentStore
from services.crypto.keyring import KeyRing
from services.db import init_db, make_engine
from services.fingerprints import SqlDuplicateIndex
from services.gateway import HttpPayerGateway
from services.inbound_store import SqlUnmatchedStore
from services.observability import start_process_observability
from services.posting_pages import SqlPageSource
from services.settings import Settings
from services.signals import ClaimMatcher, temporal_signaller
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
    eligibility_timeout_s: float = 15.0,
    stall_after_s: float = 900.0,
    match: ClaimMatcher | None = None,
    match_trace: ClaimMatcher | None = None,
    pages: PageSource | None = None,
) -> Worker:
    """``match`` turns the claim reference in a payer's file into a claim id
    (``services.x12_store.claim_for_patient_control_number``), ``match_trace`` a 271's
    trace number (``claim_for_eligibility_trace``)."""
    publishing = PublishActivities(producer, stall_after_s=stall_after_s)
    payer = PayerActivities(gateway)
    eligibility = EligibilityActivities(gateway, timeout_s=eligibility_timeout_s)
    stages = StageActivities(duplicates)
    delivery = DeliveryActivities(temporal_signaller(client, match, match_trace), unmatched, pages)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ClaimWorkflow, PostingWorkflow],
        activities=[
            stages.check_coding,
            stages.scrub_claim,
            stages.release_duplicate_key,
            publishing.publish_event,
            publishing.publish_alert,
            payer.submit_claim,
            payer.submit_appeal,
            payer.inquire_status,
            eligibility.check_eligibility,
            delivery.deliver_payer_messages,
            delivery.post_page,
            delivery.finish_posting,
        ],
        # kafka-python is synchronous: the publish activity runs on these threads.
        activity_executor=executor,
    )


def make_producer(settings: Settings) -> EventProducer:
    return EventProducer(
        settings.kafka_connection,
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


def page_source(engine: Engine, ring: KeyRing) -> PageSource:
    return SqlPageSource(engine, ring, lambda group: x12_store.sent_transactions(engine, group))


def warm_up() -> None:
    """Load the code sets and edit tables now, not inside the first claim's activity.

    The ICD-10-CM tabular takes seconds to parse; inside an async activity that would stall
    the worker's event loop and every other activity on it. Its index comes from the cache
    (``services.code_index``), which spares the parse.
    """
    code_index.preload_icd10()
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
    init_db(engine, auto_migrate=settings.auto_migrate)
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
            eligibility_timeout_s=settings.eligibility_timeout_seconds,
            match=functools.partial(x12_store.claim_for_patient_control_number, engine),
            match_trace=functools.partial(x12_store.claim_for_eligibility_trace, engine),
            pages=page_source(engine, KeyRing.for_settings(settings)),
            stall_after_s=settings.stall_alert_after_seconds,
        )
        try:
            async with worker:
                yield worker
        finally:
            await gateway.aclose()
            producer.close()
            engine.dispose()


async def run(settings: Settings) -> None:
    check_connection(settings.kafka_connection)  # a wrong password fails here, by name
    client = await connect(settings)
    async with running_worker(settings, client):
        logging.getLogger(__name__).info("worker polling task queue %s", settings.task_queue)
        await asyncio.Event().wait()  # until the process is stopped


def main(settings: Settings) -> None:
    start_process_observability(settings, "worker")
    asyncio.run(run(settings))
