"""The codec server: Temporal's remote codec protocol, so the Temporal UI can show payloads.

The Temporal UI (and ``temporal`` CLI with ``--codec-endpoint``) POSTs the payloads it
holds to ``/codec/decode`` and gets them back decrypted; ``/codec/encode`` is the reverse
(for payloads a person types into the UI). Both are behind the same authentication as the
rest of the API (ops, billers and supervisors: the route table), so a person signed in to
claimflow sees decoded payloads and nobody else does. CORS lets the Temporal UI's origin
(setting ``codec_cors_origins``) call these two routes with credentials; no other route.

Body and answer: ``{"payloads": [{"metadata": {name: base64}, "data": base64}]}`` (protobuf
JSON of ``temporal.api.common.v1.Payloads``). ``X-Namespace`` must be claimflow's namespace.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from services.api.deps import KeyRingDep, SettingsDep
from services.api.errors import error
from services.auth.policy import AUTHORIZED
from services.crypto.aead import DecryptionError
from services.crypto.codec import EncryptionCodec
from services.crypto.keyring import UnknownKeyError
from services.settings import Settings

router = APIRouter(tags=["codec"], dependencies=AUTHORIZED)

PAYLOADS = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"payloads": {"type": "array", "items": {"type": "object"}}},
            }
        }
    }
}


async def _apply(
    request: Request, settings: Settings, convert: Callable[[Payload], Payload]
) -> Response:
    namespace = request.headers.get("x-namespace")
    if namespace is not None and namespace != settings.temporal_namespace:
        raise error(
            400,
            f"namespace {namespace!r} is not served here ({settings.temporal_namespace!r} is)",
            rule="namespace",
            field="X-Namespace",
        )
    try:
        payloads = json_format.Parse(await request.body(), Payloads())
    except json_format.ParseError as exc:
        raise error(422, f"not a Payloads JSON document: {exc}", rule="payloads") from exc
    try:
        out = Payloads(payloads=[convert(p) for p in payloads.payloads])
    except (DecryptionError, UnknownKeyError) as exc:
        raise error(422, str(exc), rule="not_decryptable", field="payloads") from exc
    return Response(json_format.MessageToJson(out), media_type="application/json")


@router.post("/codec/encode", responses={200: PAYLOADS})
async def encode(request: Request, ring: KeyRingDep, settings: SettingsDep) -> Response:
    """Encrypt payloads with the active data key."""
    return await _apply(request, settings, EncryptionCodec(ring).encrypt)


@router.post("/codec/decode", responses={200: PAYLOADS})
async def decode(request: Request, ring: KeyRingDep, settings: SettingsDep) -> Response:
    """Decrypt payloads (ones that are not encrypted come back as they are)."""
    return await _apply(request, settings, EncryptionCodec(ring).decrypt)


class CodecCors:
    """CORS with credentials for the Temporal UI's origin, on ``/codec/`` routes only: the
    rest of the API stays same-origin, so a page on that origin cannot drive it."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=["authorization", "content-type", "x-namespace", "x-api-key"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/codec/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
