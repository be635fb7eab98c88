"""What a reliability run must show, checked from outside: every claim where its path ends,
by its path's statuses, with every event on Kafka exactly once (after de-duplication) and
projected exactly once; plus the figures RELIABILITY.md reports."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine

from events.contract import ClaimAlert, ClaimEvent
from services import readmodel
from tests.reliability.paths import Case


def read_topic(bootstrap: str, topic: str, *, timeout_s: float = 120) -> list[tuple[bytes, bytes]]:
    """(key, value) of every record on every partition, in partition order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        out: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for records in consumer.poll(timeout_ms=500).values():
                out.extend((r.key, r.value) for r in records)
        return out
    finally:
        consumer.close()


@dataclass
class Outcome:
    claims: int = 0
    by_path: dict[str, int] = field(default_factory=dict)
    events: int = 0
    duplicates_absorbed: int = 0
    wrong_final: list[str] = field(default_factory=list)  # stuck or elsewhere
    wrong_history: list[str] = field(default_factory=list)  # a transition twice, or missing
    seq_gaps: list[str] = field(default_factory=list)
    conflicting_copies: list[str] = field(default_factory=list)  # same seq, other content
    projection_errors: list[str] = field(default_factory=list)
    alerts: dict[str, int] = field(default_factory=dict)
    late_payer_messages: int = 0
    dead_letters: int = 0
    unmatched_payer_messages: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        return (
            self.wrong_final + self.wrong_history + self.seq_gaps + self.conflicting_copies
            + self.projection_errors
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["lost_or_stuck"] = len(self.wrong_final)
        out["applied_twice_or_out_of_order"] = len(self.wrong_history)
        return out


async def workflow_views(
    api: str, cases: list[Case], headers: dict[str, str], timeout_s: float = 300
) -> dict[str, dict[str, Any]]:
    """Each claim's view from its workflow (not the read model), waiting out a slow worker."""
    views: dict[str, dict[str, Any]] = {}
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=api, timeout=30, headers=headers) as http:

        async def one(case: Case) -> None:
            deadline = time.monotonic() + timeout_s
            async with gate:
                while time.monotonic() < deadline:
                    try:
                        response = await http.get(f"/claims/{case.claim_id}")
                    except httpx.HTTPError:
                        await asyncio.sleep(1)
                        continue
                    body = response.json() if response.status_code == 200 else {}
                    if body.get("source") == "workflow":
                        views[case.claim_id] = body
                        if body["status"] == case.plan.final:
                            return
                    await asyncio.sleep(1)

        await asyncio.gather(*(one(c) for c in cases))
    return views


def check(
    cases: list[Case],
    views: dict[str, dict[str, Any]],
    *,
    bootstrap: str,
    lifecycle: str,
    alerts_topic: str,
    dlq: str,
    engine: Engine,
    unmatched: list[dict[str, Any]],
) -> Outcome:
    out = Outcome(claims=len(cases), by_path=dict(Counter(c.path.value for c in cases)))
    records: dict[str, list[ClaimEvent]] = defaultdict(list)
    for key, value in read_topic(bootstrap, lifecycle):
        records[key.decode()].append(ClaimEvent.from_json_bytes(value))
    for case in cases:
        cid = case.claim_id
        view = views.get(cid, {})
        history = [e["status"] for e in view.get("history", [])]
        out.late_payer_messages += len(view.get("late_messages", []))
        if view.get("status") != case.plan.final:
            out.wrong_final.append(
                f"{cid} ({case.path}) is {view.get('status')}, not {case.plan.final}"
            )
        elif not case.matches(history):
            out.wrong_history.append(f"{cid} ({case.path}): {' '.join(history)}")
        raw = records.get(cid, [])
        first: dict[int, ClaimEvent] = {}
        for event in raw:
            seen = first.setdefault(event.seq, event)
            if seen.model_dump() != event.model_dump():
                out.conflicting_copies.append(f"{cid} seq {event.seq}")
        out.events += len(first)
        out.duplicates_absorbed += len(raw) - len(first)
        seqs = sorted(first)
        if seqs != list(range(1, len(seqs) + 1)) or [first[s].data.status for s in seqs] != history:
            out.seq_gaps.append(
                f"{cid}: seqs {seqs} statuses {[first[s].data.status for s in seqs]}"
            )
        rows = readmodel.claim_events(engine, cid)
        row = readmodel.get_claim(engine, cid)
        if [r.seq for r in rows] != seqs or row is None or row.last_seq != len(seqs):
            out.projection_errors.append(f"{cid}: projected {[r.seq for r in rows]} of {seqs}")
    kinds: Counter[str] = Counter()
    for _, value in read_topic(bootstrap, alerts_topic):
        kinds[ClaimAlert.model_validate_json(value).data.kind.value] += 1
    out.alerts = dict(kinds)
    out.dead_letters = len(read_topic(bootstrap, dlq))
    out.unmatched_payer_messages = dict(Counter(m["kind"] for m in unmatched))
    return out
