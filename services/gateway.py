"""The HTTP payer gateway: how submission activities reach a payer over HTTP.

A 4xx answer is the payer refusing this submission (retrying will not change its mind);
anything else that fails is an outage, raised as-is so that Temporal retries it. An appeal
goes as a multipart form: the packet as JSON and each attachment's bytes, read (decrypted)
from the attachment store by the ids the packet carries.
"""

from __future__ import annotations

import httpx

from activities.payer import AppealPacket, PayerRefused, StatusInquiry, SubmissionReceipt
from claims.eligibility import EligibilityRequest, EligibilityResult
from claims.model import Claim
from services.attachments import AttachmentStore


def appeal_files(
    store: AttachmentStore | None, packet: AppealPacket
) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The packet's attachments as multipart file parts; an unknown id is a refusal."""
    files = []
    for attachment_id in packet.attachments:
        try:
            if store is None:
                raise KeyError(attachment_id)
            info, data = store.read(attachment_id)
        except KeyError as exc:
            raise PayerRefused(f"appeal attachment {attachment_id} is not on file") from exc
        files.append(("attachments", (info.name, data, info.content_type)))
    return files


class HttpPayerGateway:
    def __init__(
        self,
        base_url: str,
        *,
        attachments: AttachmentStore | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._attachments = attachments

    async def _send(self, path: str, body: str, *, content_type: str = "application/json") -> bytes:
        response = await self._client.post(
            path, content=body, headers={"content-type": content_type}
        )
        if 400 <= response.status_code < 500:
            # Not the answer's body: a payer may echo the claim (PHI) into activity failures.
            raise PayerRefused(f"payer refused {path}: HTTP {response.status_code}")
        response.raise_for_status()
        return response.content

    async def _post(self, path: str, body: str) -> SubmissionReceipt:
        return SubmissionReceipt.model_validate_json(await self._send(path, body))

    async def submit_claim(self, claim: Claim) -> SubmissionReceipt:
        return await self._post("/v1/claims", claim.model_dump_json())

    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt:
        files = appeal_files(self._attachments, packet)
        if files:  # the packet and its files as one multipart form
            response = await self._client.post(
                "/v1/appeals", data={"packet": packet.model_dump_json()}, files=files
            )
        else:  # httpx would send a lone form field url-encoded: send the packet as JSON
            response = await self._client.post(
                "/v1/appeals",
                content=packet.model_dump_json(),
                headers={"content-type": "application/json"},
            )
        if 400 <= response.status_code < 500:
            raise PayerRefused(f"payer refused /v1/appeals: {response.status_code} {response.text}")
        response.raise_for_status()
        return SubmissionReceipt.model_validate_json(response.content)

    async def inquire(self, inquiry: StatusInquiry) -> None:
        await self._send("/v1/inquiries", inquiry.model_dump_json())

    async def check_eligibility(self, request: EligibilityRequest) -> EligibilityResult:
        """The simulator's JSON eligibility service: synchronous, no X12."""
        body = await self._send("/v1/eligibility", request.model_dump_json())
        result = EligibilityResult.model_validate_json(body)
        return result.model_copy(
            update={"claim_id": request.claim_id, "trace_number": request.trace_number}
        )

    async def aclose(self) -> None:
        await self._client.aclose()
