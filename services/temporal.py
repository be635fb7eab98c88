"""One way to connect to Temporal, so every process agrees on the data converter.

The pydantic converter is what lets Decimal money and dates cross workflow boundaries
exactly; a process that connected with the default converter would fail on them. The
payload codec encrypts every payload (PHI never reaches the Temporal server in plain text),
and the failure converter moves failure messages and stack traces into an encoded payload
so the codec encrypts them too.
"""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from services.crypto.codec import EncryptionCodec
from services.crypto.keyring import KeyRing
from services.observability.runtime import telemetry_options
from services.settings import Settings
from services.temporal_cluster import cluster_options


def data_converter(settings: Settings, ring: KeyRing | None = None) -> DataConverter:
    """pydantic payloads, AES-256-GCM encrypted, failures included."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring or KeyRing.for_settings(settings)),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        **cluster_options(settings),
        **telemetry_options(settings),
    )
