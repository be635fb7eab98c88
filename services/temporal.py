"""One way to connect to Temporal, so every process agrees on the data converter.

The pydantic converter is what lets Decimal money and dates cross workflow boundaries
exactly; a process that connected with the default converter would fail on them.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from services.observability.runtime import telemetry_options
from services.settings import Settings
from services.temporal_cluster import cluster_options


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        **cluster_options(settings),
        **telemetry_options(settings),
    )
