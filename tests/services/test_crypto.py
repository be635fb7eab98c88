"""PHI at rest: the payload codec, the file format, key rotation, and the codec server."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from claims.roles import Role
from services.crypto.aead import DecryptionError
from services.crypto.codec import ENCODING, KEY_ID, EncryptionCodec
from services.crypto.files import decrypt_bytes, encrypt_bytes, write_encrypted
from services.crypto.keyring import KeyRing, UnknownKeyError, rotate
from services.settings import Settings
from services.temporal import data_converter
from tests.services.auth_testkit import Api, api_only
from tests.support import unique_settings

PHI = "Rivera, Alex 1980-04-12 XJH123456789"


def settings_in(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state")


async def test_payloads_are_encrypted_with_a_key_id_and_decode() -> None:
    ring = KeyRing.generate()
    converter = data_converter(Settings(), ring)
    [payload] = await converter.encode([PHI])
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID].decode() == ring.active
    assert b"Rivera" not in payload.SerializeToString()
    assert await converter.decode([payload], [str]) == [PHI]


async def test_payloads_the_codec_did_not_encode_still_decode() -> None:
    """Histories recorded before encryption hold plain payloads."""
    [plain] = await pydantic_data_converter.encode([PHI])
    converter = data_converter(Settings(), KeyRing.generate())
    assert await converter.decode([plain], [str]) == [PHI]


async def test_failure_messages_are_encrypted_too() -> None:
    converter = data_converter(Settings(), KeyRing.generate())
    failure = Failure()
    await converter.encode_failure(ApplicationError(f"cannot bill {PHI}"), failure)
    assert b"Rivera" not in failure.SerializeToString()
    error = await converter.decode_failure(failure)
    assert "Rivera" in str(error)


async def test_tampered_or_unknown_key_payloads_are_refused() -> None:
    ring = KeyRing.generate()
    codec = EncryptionCodec(ring)
    [payload] = await codec.encode([Payload(data=b"x")])
    tampered = Payload()
    tampered.CopyFrom(payload)
    tampered.data = payload.data[:-1] + bytes([payload.data[-1] ^ 1])
    with pytest.raises(DecryptionError):
        await codec.decode([tampered])
    with pytest.raises(UnknownKeyError):
        await EncryptionCodec(KeyRing.generate()).decode([payload])


async def test_rotation_keeps_old_payloads_readable(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    worker_ring = KeyRing.load(settings)  # made on first use: 0600
    assert settings.resolved_key_file.stat().st_mode & 0o777 == 0o600
    old = await EncryptionCodec(worker_ring).encode([Payload(data=b"before")])
    kid, printed = rotate(settings)
    assert printed is None and kid != worker_ring.active
    new_ring = KeyRing.load(settings)
    assert new_ring.active == kid and len(new_ring.keys) == 2
    new = await EncryptionCodec(new_ring).encode([Payload(data=b"after")])
    # A process started before the rotation meets the new key id and re-reads the file.
    assert [p.data for p in await EncryptionCodec(worker_ring).decode(new)] == [b"after"]
    assert [p.data for p in await EncryptionCodec(new_ring).decode(old)] == [b"before"]


def test_keys_from_settings_rotate_by_printing(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    doc = {"active": ring.active, "keys": {ring.active: base64.b64encode(ring.active_key).decode()}}
    settings = Settings(state_dir=tmp_path / "state", encryption_keys=json.dumps(doc))
    assert KeyRing.load(settings).active_key == ring.active_key
    kid, printed = rotate(settings)
    assert printed is not None and json.loads(printed)["active"] == kid
    assert not settings.resolved_key_file.exists()  # nothing written


def test_files_name_their_key_and_detect_changes(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    blob = encrypt_bytes(ring, PHI.encode())
    assert ring.active.encode() in blob[:40] and b"Rivera" not in blob
    assert decrypt_bytes(ring, blob) == PHI.encode()
    for broken in (
        blob[:-1],
        blob[:20],
        blob.replace(ring.active.encode(), b"k" * len(ring.active)),
    ):
        with pytest.raises((DecryptionError, UnknownKeyError)):
            decrypt_bytes(ring, broken)
    path = write_encrypted(ring, tmp_path / "x12" / "sent" / "a.x12", PHI)
    assert path.stat().st_mode & 0o777 == 0o600
    assert not list(path.parent.glob(".*.tmp"))


@pytest_asyncio.fixture(loop_scope="session")
async def api(test_stack: Settings, client: Client, tmp_path: Path) -> AsyncIterator[Api]:
    async with api_only(unique_settings(test_stack, tmp_path), client) as running:
        yield running


@pytest.mark.stack
async def test_codec_server_decodes_for_signed_in_people_only(api: Api) -> None:
    ring = KeyRing.for_settings(api.settings)
    [payload] = await EncryptionCodec(ring).encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=b'"Rivera"')]
    )
    body = {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
                "data": base64.b64encode(payload.data).decode(),
            }
        ]
    }
    headers = {"X-Namespace": api.settings.temporal_namespace}
    async with api.client(headers) as anonymous:
        assert (await anonymous.post("/codec/decode", json=body)).status_code == 401
    async with api.as_roles(Role.INTAKE) as intake:
        assert (await intake.post("/codec/decode", json=body)).status_code == 403
    async with api.as_roles(Role.OPS) as ops:
        decoded = await ops.post("/codec/decode", json=body, headers=headers)
        assert decoded.status_code == 200, decoded.text
        [out] = decoded.json()["payloads"]
        assert base64.b64decode(out["data"]) == b'"Rivera"'
        encoded = await ops.post("/codec/encode", json=decoded.json(), headers=headers)
        again = await ops.post("/codec/decode", json=encoded.json(), headers=headers)
        assert again.json() == decoded.json()
        other = await ops.post("/codec/decode", json=body, headers={"X-Namespace": "other"})
        assert other.status_code == 400


@pytest.mark.stack
async def test_codec_cors_for_the_temporal_ui_only(api: Api) -> None:
    ui = api.settings.codec_cors_origins[0]
    preflight = {
        "Origin": ui,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    async with api.client() as http:
        ok = await http.options("/codec/decode", headers=preflight)
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == ui
        assert ok.headers["access-control-allow-credentials"] == "true"
        stranger = await http.options(
            "/codec/decode", headers={**preflight, "Origin": "http://evil.test"}
        )
        assert "access-control-allow-origin" not in stranger.headers
        # The rest of the API is not open to the UI's origin.
        claims = await http.options("/claims", headers=preflight)
        assert "access-control-allow-origin" not in claims.headers
    await asyncio.sleep(0)
