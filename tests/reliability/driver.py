"""Drive a reliability run: submit the mix, act on each claim as a person would, wait.

The driver is a client of the public API only, and a careful one: every request is safe to
repeat (a claim_id in the claim, an Idempotency-Key on every action), so it retries through
outages (503s, timeouts, connection errors) without ever asking for anything twice. It
watches the run through the read model's list (one request per round, not one per claim).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.reliability.paths import APPEAL_LETTER, Case

# Faults fire when this share of the claims has come to rest, each at its own random point.
Fault = Callable[[], Awaitable[str]]


@dataclass
class FaultLog:
    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, started: float, kind: str, detail: str, at: float) -> None:
        self.entries.append(
            {
                "at_s": round(started - at, 1),
                "kind": kind,
                "detail": detail,
                "took_s": round(time.monotonic() - started, 1),
            }  # fmt: skip
        )


class Driver:
    def __init__(self, api: str, cases: list[Case], *, headers: dict[str, str]) -> None:
        self.cases = {c.claim_id: c for c in cases}
        self.http = httpx.AsyncClient(base_url=api, timeout=30, headers=headers)
        # claim id -> (status, last seq) from the read model
        self.status: dict[str, tuple[str, int]] = {}
        self.retries = 0

    async def close(self) -> None:
        await self.http.aclose()

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """One request; None when the system could not answer (retry later)."""
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError:
            self.retries += 1
            return None
        if response.status_code >= 500:
            self.retries += 1
            return None
        return response

    async def submit_all(self, concurrency: int = 8) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def submit(case: Case) -> None:
            async with gate:
                while not case.submitted:
                    response = await self._send("POST", "/claims", json=case.payload())
                    if response is not None:
                        assert response.status_code == 202, response.text
                        case.submitted = True
                    else:
                        await asyncio.sleep(1)

        await asyncio.gather(*(submit(c) for c in self.cases.values()))

    async def refresh(self) -> None:
        """Every claim's status from the read model (a moment behind the workflows)."""
        offset = 0
        while True:
            response = await self._send("GET", "/claims", params={"limit": 1000, "offset": offset})
            if response is None:
                return
            rows = response.json()
            self.status.update({r["claim_id"]: (r["status"], r["seq"]) for r in rows})
            if len(rows) < 1000:
                return
            offset += 1000

    async def act(self, case: Case) -> None:
        """The person's action, once: the Idempotency-Key makes a retry return the first
        outcome, so an answer lost to a timeout never becomes a second action."""
        if case.plan.action == "appeal" and not await self._letter(case):
            return
        action, body = case.request()
        route = action.replace("_", "-")
        if not case.attempts:
            case.tried_at_seq = self.status[case.claim_id][1]
        case.attempts += 1
        response = await self._send(
            "POST",
            f"/claims/{case.claim_id}/{route}",
            json=body,
            headers={"Idempotency-Key": f"{case.claim_id}-{action}"},
        )
        if response is None:
            return
        if response.status_code == 200:
            case.acted = True
            case.acted_at_seq = self.status[case.claim_id][1]
        elif response.status_code != 409:
            raise AssertionError(
                f"{action} {case.claim_id}: {response.status_code} {response.text}"
            )
        # 409: the read model was behind (the claim has not reached the action's status yet,
        # or a correction is still being applied); the next round tries again.

    async def _letter(self, case: Case) -> bool:
        """Upload the appeal's letter once. An upload has no Idempotency-Key, so after an
        answer lost to an outage the claim's attachments say whether it arrived."""
        if case.attachment_id is not None:
            return True
        url = f"/claims/{case.claim_id}/attachments"
        listed = await self._send("GET", url)
        if listed is None:
            return False
        assert listed.status_code == 200, listed.text
        name = APPEAL_LETTER[0]
        found = [a["attachment_id"] for a in listed.json() if a["name"] == name]
        if not found:
            uploaded = await self._send("POST", url, files={"file": APPEAL_LETTER})
            if uploaded is None:
                return False
            assert uploaded.status_code == 201, uploaded.text
            found = [uploaded.json()["attachment_id"]]
        case.attachment_id = found[0]
        return True

    def resting(self) -> list[Case]:
        """Claims at the end of their path: at its final status, and past their action."""
        out = []
        for case in self.cases.values():
            status, seq = self.status.get(case.claim_id, ("", 0))
            # An action whose answer was lost (a 503 while Temporal restarted) may still have
            # been applied: the claim moving on from where it was asked says so.
            moved_on = case.attempts > 0 and seq > case.tried_at_seq
            acted = case.plan.action is None or moved_on or (case.acted and seq > case.acted_at_seq)
            if status == case.plan.final and acted:
                out.append(case)
        return out

    async def run(
        self, *, faults: list[tuple[str, Fault]], timeout_s: float, seed: int
    ) -> tuple[FaultLog, float]:
        """Until every claim rests where its path ends, firing each fault once at a random
        point of the run's progress. Returns the faults' log and the run's duration."""
        rng = random.Random(seed)
        points = sorted(rng.uniform(0.05, 0.8) for _ in faults)
        pending = list(zip(points, faults, strict=True))
        log = FaultLog()
        started = time.monotonic()
        await self.submit_all()
        fault_task: asyncio.Task[None] | None = None

        async def fire(kind: str, fault: Fault) -> None:
            at = time.monotonic()
            detail = await fault()
            log.add(at, kind, detail, started)

        while time.monotonic() - started < timeout_s:
            await self.refresh()
            done = len(self.resting())
            if (
                done == len(self.cases)
                and not pending
                and (fault_task is None or fault_task.done())
            ):
                break
            if pending and (fault_task is None or fault_task.done()):
                point, (kind, fault) = pending[0]
                if done / len(self.cases) >= point:
                    pending.pop(0)
                    fault_task = asyncio.create_task(fire(kind, fault))
            due = [
                c for c in self.cases.values()
                if not c.acted and c.plan.acts_at is not None
                and self.status.get(c.claim_id, ("", 0))[0] == c.plan.acts_at
            ]  # fmt: skip
            await asyncio.gather(*(self.act(c) for c in due[:32]))
            await asyncio.sleep(1.0)
        if fault_task is not None:
            await fault_task
        return log, time.monotonic() - started
