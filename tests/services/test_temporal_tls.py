"""Connecting to Temporal over TLS and mutual TLS, for real.

The dev server speaks plaintext only, so the test puts a TLS-terminating proxy in front of
it (Python's ssl, certificates made by the test): the client's TLS handshake, certificate
verification, client certificate and server-name override are the real ones a Temporal
cluster or Temporal Cloud would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.service import TLSConfig

from services.settings import Settings
from services.temporal import connect
from services.temporal_cluster import cluster_options
from tests.pki import Pki, make_pki

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("temporal-pki"))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.asynccontextmanager
async def tls_proxy(upstream: str, pki: Pki, *, mutual: bool) -> AsyncIterator[str]:
    """TLS on the outside, the dev server's plaintext gRPC inside."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server.cert, pki.server.key)
    context.set_alpn_protocols(["h2"])
    if mutual:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki.ca)
    host, port = upstream.rsplit(":", 1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    try:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


def _over(base: Settings, address: str, **tls: object) -> Settings:
    return base.model_copy(update={"temporal_server": address, **tls})


async def test_mutual_tls_with_a_server_name_override(test_stack: Settings, pki: Pki) -> None:
    async with tls_proxy(test_stack.temporal_address, pki, mutual=True) as address:
        settings = _over(
            test_stack,
            address,
            temporal_tls_ca_file=pki.ca,
            temporal_tls_cert_file=pki.client.cert,
            temporal_tls_key_file=pki.client.key,
            temporal_tls_server_name="localhost",
        )
        client = await connect(settings)
        # A real round trip through TLS: the namespace's visibility answers.
        assert (await client.count_workflows("WorkflowType='NoSuchWorkflow'")).count == 0


async def _refused(settings: Settings) -> str:
    with pytest.raises(RuntimeError) as refused:
        await asyncio.wait_for(connect(settings), timeout=60)
    return str(refused.value)


async def test_refusals(test_stack: Settings, pki: Pki) -> None:
    async with tls_proxy(test_stack.temporal_address, pki, mutual=True) as address:
        trusted = {"temporal_tls_ca_file": pki.ca, "temporal_tls_server_name": "localhost"}
        client_cert = {
            "temporal_tls_cert_file": pki.client.cert,
            "temporal_tls_key_file": pki.client.key,
        }
        # A server certificate from a CA we were not told to trust.
        untrusted = {**trusted, "temporal_tls_ca_file": pki.other_ca, **client_cert}
        assert "connect" in (await _refused(_over(test_stack, address, **untrusted))).lower()
        # The server's certificate does not name the host we expect.
        wrong_name = {**trusted, "temporal_tls_server_name": "temporal.example", **client_cert}
        await _refused(_over(test_stack, address, **wrong_name))
        # Mutual TLS without a client certificate.
        await _refused(_over(test_stack, address, **trusted))


def test_options_from_settings(tmp_path: Path, pki: Pki) -> None:
    plain = cluster_options(Settings())
    assert plain == {"tls": False, "api_key": None}
    (tmp_path / "api-key").write_text("cloud-key\n")
    cloud = cluster_options(Settings(temporal_api_key_file=tmp_path / "api-key"))
    assert cloud == {"tls": True, "api_key": "cloud-key"}  # a key never travels in the clear
    assert cluster_options(Settings(temporal_api_key=SecretStr("k")))["api_key"] == "k"
    mtls = cluster_options(
        Settings(
            temporal_tls_ca_file=pki.ca,
            temporal_tls_cert_file=pki.client.cert,
            temporal_tls_key_file=pki.client.key,
            temporal_tls_server_name="frontend.temporal",
        )
    )["tls"]
    assert isinstance(mtls, TLSConfig)
    assert mtls.server_root_ca_cert == pki.ca.read_bytes()
    assert mtls.client_private_key == pki.client.key.read_bytes()
    assert mtls.domain == "frontend.temporal"
    with pytest.raises(ValueError, match="CLAIMFLOW_TEMPORAL_TLS_KEY_FILE"):
        cluster_options(Settings(temporal_tls_cert_file=pki.client.cert))
    with pytest.raises(ValueError, match="CLAIMFLOW_TEMPORAL_TLS_CA_FILE: cannot read"):
        cluster_options(Settings(temporal_tls_ca_file=tmp_path / "missing.crt"))
