"""The Temporal worker process: ClaimWorkflow plus every activity, with their clients."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.payer import PayerActivities, PayerGateway
from activities.publishing import PublishActivities
from activities.stages import check_coding, scrub_claim
from events import topics
from events.producer import EventProducer
from services.gateway import HttpPayerGateway
from services.settings import Settings
from services.temporal import connect
from workflows.claim import ClaimWorkflow


def build_worker(
    client: Client,
    *,
    task_queue: str,
    producer: EventProducer,
    gateway: PayerGateway,
    executor: ThreadPoolExecutor,
) -> Worker:
    publishing = PublishActivities(producer)
    payer = PayerActivities(gateway)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ClaimWorkflow],
        activities=[
            check_coding,
            scrub_claim,
            publishing.publish_event,
            payer.submit_claim,
            payer.submit_appeal,
        ],
        # kafka-python is synchronous: the publish activity runs on these threads.
        activity_executor=executor,
    )


def make_producer(settings: Settings) -> EventProducer:
    return EventProducer(
        settings.kafka_bootstrap,
        lifecycle_topic=settings.topic(topics.LIFECYCLE),
        state_topic=settings.topic(topics.STATE),
    )


async def run(settings: Settings) -> None:
    client = await connect(settings)
    producer = make_producer(settings)
    gateway = HttpPayerGateway(settings.payer_url)
    with ThreadPoolExecutor(max_workers=16) as executor:
        worker = build_worker(
            client,
            task_queue=settings.task_queue,
            producer=producer,
            gateway=gateway,
            executor=executor,
        )
        logging.getLogger(__name__).info("worker polling task queue %s", settings.task_queue)
        try:
            await worker.run()
        finally:
            await gateway.aclose()
            producer.close()


def main(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run(settings))
