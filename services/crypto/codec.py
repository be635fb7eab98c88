"""The Temporal payload codec: every payload the SDK sends to the server is encrypted.

Workflow and activity inputs and results, update and signal arguments, query answers,
memo, and (with the failure converter in ``services.temporal``) failure messages and stack
traces all pass through ``encode`` on their way out and ``decode`` on their way in. The
Temporal server, its database and anyone reading its history see only ciphertext.

A payload the codec did not encode (the histories recorded before encryption existed)
decodes as it is, so old workflows keep running and replaying.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from services.crypto.aead import open_sealed, seal
from services.crypto.keyring import KeyRing

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
CONTEXT = b"claimflow-temporal-payload-v1"


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def encrypt(self, payload: Payload) -> Payload:
        kid, sealed = seal(self._ring, payload.SerializeToString(), CONTEXT)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: kid.encode()}, data=sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata[KEY_ID].decode()
        return Payload.FromString(open_sealed(self._ring, kid, payload.data, CONTEXT))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]
