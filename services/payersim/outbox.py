"""How the payer simulator answers: by signal (JSON mode) or by X12 files (X12 mode).

In X12 mode it behaves like a payer behind a clearinghouse: the 999 for each 837P, then a
277CA and an 835 per claim, each POSTed as a file to claimflow's inbound endpoint, which
posts them the same way it posts a real payer's files. It echoes the claim's CLM01 as it
received it in TRN02 and CLP01, or (``truncate_to``) only its first characters, as a payer
that stores 20 of them does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx

from claims.model import Address, Claim
from claims.payer_messages import ClaimStatusReport, PayerMessage
from claims.remittance import Remittance
from claims.x12 import ack_999
from claims.x12.envelope import Envelope
from claims.x12.interchange import read_document
from claims.x12.read_837p import SubmittedClaim
from claims.x12.render_remits import (
    ClaimStatusEntry,
    PayeeInfo,
    PayerInfo,
    render_277ca,
    render_835,
    render_999,
)
from claims.x12.status_277ca import StatusCode

PAYER_NAME = "SIMULATED HEALTH PLAN"
PAYER_ID = "SIMPAYER"
PAYER_ADDRESS = Address(line1="1 Payer Plaza", city="Hartford", state="CT", postal_code="061010001")


class Outbox(Protocol):
    async def acknowledge(self, x12_837: str) -> None: ...

    async def send(self, message: PayerMessage, claim: Claim | SubmittedClaim) -> None: ...

    async def send_many(
        self, messages: list[Remittance], claim: Claim | SubmittedClaim
    ) -> None: ...


class SignalOutbox:
    """JSON mode: straight to the claim's workflow."""

    def __init__(self, signal: Callable[[PayerMessage], Awaitable[None]]) -> None:
        self._signal = signal

    async def acknowledge(self, x12_837: str) -> None:
        return None

    async def send(self, message: PayerMessage, claim: Claim | SubmittedClaim) -> None:
        await self._signal(message)

    async def send_many(self, messages: list[Remittance], claim: Claim | SubmittedClaim) -> None:
        for message in messages:
            await self._signal(message)


class X12Outbox:
    """X12 mode: render the answer as a file and POST it to ``inbound_url``."""

    def __init__(
        self,
        inbound_url: str,
        *,
        receiver_id: str,
        truncate_to: int = 0,
        api_key: str | None = None,
    ) -> None:
        self._url = inbound_url
        self._receiver = receiver_id
        self._keep = truncate_to
        self._numbers = itertools.count(1)
        # claimflow's inbound API wants a credential: the simulator's own API key (intake).
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.AsyncClient(timeout=30, headers=headers)

    def _envelope(self) -> Envelope:
        n = next(self._numbers)
        return Envelope(
            sender_id=PAYER_ID,
            receiver_id=self._receiver,
            interchange_control_number=n,
            group_control_number=n,
            sender_name=PAYER_NAME,
        )

    async def _post(self, name: str, text: str) -> None:
        response = await self._http.post(
            self._url,
            content=text.encode(),
            headers={"content-type": "application/edi-x12", "x-filename": name},
        )
        # Refused credentials are an outage of ours to retry and log, not a payer's answer.
        if response.status_code >= 500 or response.status_code in (401, 403):
            response.raise_for_status()

    async def acknowledge(self, x12_837: str) -> None:
        """A 999 accepting every transaction set of the 837 (syntax was checked on read)."""
        doc = read_document(x12_837)
        groups = []
        for isa in doc.interchanges:
            for gs in isa.groups:
                accepted = [
                    ack_999.TransactionAck(st.control_number, ack_999.AckStatus.ACCEPTED)
                    for st in gs.transactions
                ]
                groups.append(ack_999.group_ack("HC", gs.control_number, gs.version, accepted))
        await self._post("999", render_999(groups, envelope=self._envelope()))

    def _echo(self, clm01: str) -> str:
        return clm01[: self._keep] if self._keep else clm01

    async def send(self, message: PayerMessage, claim: Claim | SubmittedClaim) -> None:
        await self.send_run([(message, claim)])

    async def send_many(self, messages: list[Remittance], claim: Claim | SubmittedClaim) -> None:
        """One ERA (one payment) holding every message, in order."""
        await self._send_835([(m, claim) for m in messages], messages[-1].remittance_id[:50])

    async def send_run(self, items: list[tuple[PayerMessage, Claim | SubmittedClaim]]) -> None:
        """A check run: one 277CA for every status in it, then one 835 per payee for its
        remittances (a payer pays each provider once per run, not once per claim)."""
        statuses = [(m, c) for m, c in items if isinstance(m, ClaimStatusReport)]
        if statuses:
            await self._send_277ca(statuses)
        by_payee: dict[str, list[tuple[Remittance, Claim | SubmittedClaim]]] = {}
        for message, claim in items:
            if isinstance(message, Remittance):
                by_payee.setdefault(_npi(claim), []).append((message, claim))
        for payments in by_payee.values():
            await self._send_835(payments, _run_trace([m.remittance_id for m, _ in payments]))

    async def _send_277ca(
        self, items: list[tuple[ClaimStatusReport, Claim | SubmittedClaim]]
    ) -> None:
        entries = []
        for message, claim in items:
            if isinstance(claim, SubmittedClaim):
                claim = dataclasses.replace(claim, claim_id=self._echo(claim.claim_id))
            category, _, code = (message.status_codes or (f"{message.category}:20",))[0].partition(
                ":"
            )
            entries.append(
                ClaimStatusEntry(
                    claim=claim,
                    status=StatusCode(category, code.split(":")[0] or "20", "PR"),
                    payer_claim_control_number=message.payer_claim_control_number,
                )
            )
        trace = _run_trace([m.message_id for m, _ in items])
        text = render_277ca(
            entries,
            envelope=self._envelope(),
            payer_name=PAYER_NAME,
            payer_id=PAYER_ID,
            batch_reference=trace,
            trace_number=trace,
        )
        await self._post(f"277CA-{trace}", text)

    async def _send_835(
        self, items: list[tuple[Remittance, Claim | SubmittedClaim]], trace: str
    ) -> None:
        messages = [m.model_copy(update={"claim_id": self._echo(m.claim_id)}) for m, _ in items]
        text = render_835(
            messages,
            envelope=self._envelope(),
            trace_number=trace,
            payer=PayerInfo(name=PAYER_NAME, payer_id=PAYER_ID, address=PAYER_ADDRESS),
            payee=PayeeInfo(name="PROVIDER", npi=_npi(items[0][1])),
            payment_date=dt.date.today(),
        )
        await self._post(f"835-{trace}", text)

    async def aclose(self) -> None:
        await self._http.aclose()


def _npi(claim: Claim | SubmittedClaim) -> str:
    npi = claim.billing_provider.npi if isinstance(claim, Claim) else claim.billing_provider_npi
    return npi or "1234567893"


def _run_trace(ids: list[str]) -> str:
    """A file's trace number (intake's identity for it): its one message's id, or for a run
    of several the first id and how many more, unique as that id is."""
    if len(ids) == 1:
        return ids[0][:50]
    suffix = f"+{len(ids) - 1}"
    return ids[0][: 50 - len(suffix)] + suffix


def outbox_for(
    mode: str,
    *,
    signal: Callable[[PayerMessage], Awaitable[None]],
    inbound_url: str,
    receiver_id: str,
    truncate_to: int = 0,
    api_key: str | None = None,
) -> Outbox:
    """JSON mode answers by signal; every other mode speaks X12 to claimflow's inbound API
    (echoing only the first ``truncate_to`` characters of CLM01 when that is not 0)."""
    if mode == "json":
        return SignalOutbox(signal)
    return X12Outbox(inbound_url, receiver_id=receiver_id, truncate_to=truncate_to, api_key=api_key)
