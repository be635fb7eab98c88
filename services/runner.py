"""``make run``: the whole engine on one machine, fed with the sample claims.

Starts the stack and claimflow's processes (each idempotently, so a second run reuses the
state of the first), submits every sample through the public API as a client would,
appeals the denial that an appeal can overturn, prints where each claim ended and its
events as read back from Kafka, then waits for Ctrl-C and stops what it started.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from claims.status import TERMINAL, ClaimStatus
from events import topics
from events.reader import read_claim_events
from services import apps, stack
from services.apps import RUN
from services.auth import bootstrap
from services.consumer import prepare_topics
from services.db import init_db, make_engine
from services.settings import Settings
from services.stack import process

# Where a sample claim waits for a person (or is done): the runner stops polling there.
RESTING = {
    ClaimStatus.PAID,
    ClaimStatus.PARTIALLY_PAID,
    ClaimStatus.DENIED,
    ClaimStatus.REJECTED,
    ClaimStatus.CODING_REVIEW,
    ClaimStatus.SCRUB_FAILED,
    ClaimStatus.ELIGIBILITY_HOLD,
} | TERMINAL


def _wait_for(
    api: httpx.Client, claim_id: str, statuses: set[ClaimStatus], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            response = api.get(f"/claims/{claim_id}", timeout=10)
        except httpx.TimeoutException:
            continue  # a busy machine: the workflow's answer is late, not lost
        if response.status_code == 200:
            view = response.json()
            if ClaimStatus(view["status"]) in statuses:
                return view
        time.sleep(0.3)
    return view


def _fed_file(settings: Settings) -> Path:
    return settings.state_dir / "fed-samples.json"


def feed(settings: Settings, api: httpx.Client, examples: Path) -> list[str]:
    """Submit samples not fed before; return every sample claim id, old and new.

    What was fed is remembered in the state dir, so a second ``make run`` shows the claims
    of the first instead of filing the same claims again (which the duplicate edit would
    rightly refuse). Invalid samples are sent every time to show their 422.
    """
    fed: dict[str, str] = {}
    if _fed_file(settings).exists():
        fed = json.loads(_fed_file(settings).read_text())
    for path in sorted(examples.rglob("*.json")):
        name = str(path.relative_to(examples))
        if name in fed:
            print(f"  already   {name} -> claim {fed[name]}")
            continue
        body = path.read_bytes()
        route = "/fhir/Claim" if json.loads(body).get("resourceType") == "Claim" else "/claims"
        response = api.post(
            route,
            content=body,
            headers={"content-type": "application/json"},
            timeout=30,
        )
        if response.status_code == 202:
            fed[name] = response.json()["claim_id"]
            print(f"  submitted {name} -> claim {fed[name]}")
        else:
            errors = "; ".join(
                f"{d['field']}: {d['msg']}" for d in response.json().get("detail", [])
            )
            print(f"  refused   {name} ({response.status_code}): {errors}")
    _fed_file(settings).write_text(json.dumps(fed, indent=2))
    return list(fed.values())


AUTH_LETTER = b"Retroactive authorization AUTH-9913 for the billed service (sample letter).\n"


def settle(api: httpx.Client, claim_ids: list[str]) -> None:
    """Wait for each claim to come to rest; appeal the denials an appeal can overturn."""
    for claim_id in claim_ids:
        view = _wait_for(api, claim_id, RESTING, timeout=60)
        overturnable = {"CO-197", "CO-97"} & set(view.get("denial_reasons", []))
        if view.get("status") in (ClaimStatus.DENIED, ClaimStatus.PARTIALLY_PAID) and overturnable:
            letter = api.post(
                f"/claims/{claim_id}/attachments",
                files={"file": ("auth-letter.txt", AUTH_LETTER, "text/plain")},
                timeout=60,
            ).json()["attachment_id"]
            response = api.post(
                f"/claims/{claim_id}/appeal",
                json={"reason": "authorization obtained retroactively", "attachments": [letter]},
                timeout=60,
            )
            print(f"  appealed  claim {claim_id}: {response.status_code} {response.json()}")
            _wait_for(api, claim_id, {ClaimStatus.PAID, ClaimStatus.DENIED}, timeout=60)


def report(settings: Settings, api: httpx.Client, claim_ids: list[str]) -> None:
    print("\nClaims (GET /claims/{id}):")
    for claim_id in claim_ids:
        view = api.get(f"/claims/{claim_id}", timeout=10).json()
        stages = " -> ".join(entry["status"] for entry in view["history"])
        print(
            f"  {claim_id}  {view['status']:<12} paid {view['paid_amount']}  "
            f"denials {','.join(view['denial_reasons']) or '-'}\n      {stages}"
        )
    sent = sorted((settings.x12_dir / "sent").glob("*.x12"))
    received = sorted((settings.x12_dir / "received").glob("*.x12"))
    print(f"\nX12 exchanged with the payer simulator ({settings.x12_dir}):")
    print(f"  sent     {len(sent)} 837P files, e.g. {sent[-1].name if sent else '-'}")
    # Received copies are named <stamp>-<kind>[-<id>].x12.
    kinds = Counter(p.name.split("-")[1].removesuffix(".x12") for p in received if "-" in p.name)
    print("  received " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    print("\nEvents read back from Kafka (claimflow events ID):")
    for claim_id in claim_ids:
        events = read_claim_events(
            settings.kafka_connection, settings.topic(topics.LIFECYCLE), claim_id
        )
        print(f"  {claim_id}: " + ", ".join(e.id.split(":")[1] + " " + e.type for e in events))


def sign_ins(settings: Settings, creds: bootstrap.RunCredentials) -> None:
    print(f"\nSign in (kept in {bootstrap.credentials_file(settings)}, mode 0600):")
    for name, password in creds.passwords.items():
        shown = password or "(made before; claimflow users passwd " + name + ")"
        print(f"  {name:<11} {shown}")
    print(
        "  e.g. export CLAIMFLOW_TOKEN=$(.venv/bin/claimflow token create --user biller "
        "--role biller)\n"
        f"  or POST {settings.api_url}/auth/login (username, password) from {settings.api_url}"
        "/docs: the session cookie also lets the Temporal UI decode payloads"
    )


class _Stopped(Exception):
    """Ctrl-C or SIGTERM (``make down``): raised wherever the run is, even mid-request."""


def _stop(*_: object) -> None:
    raise _Stopped


def run_all(settings: Settings, examples: Path) -> None:
    # Registered so that `make down` (from another shell) can find this process and stop it:
    # it then stops what it started, exactly as on Ctrl-C.
    process.register(settings.state_dir, RUN)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    api: httpx.Client | None = None
    try:
        print(f"starting the stack (state in {settings.state_dir}) ...")
        stack.up(settings, postgres=settings.resolved_database_url.startswith("postgresql"))
        prepare_topics(settings)
        engine = make_engine(settings.resolved_database_url)
        init_db(engine, auto_migrate=settings.auto_migrate)
        creds = bootstrap.ensure(settings, engine)
        engine.dispose()
        settings = settings.model_copy(update={"payer_api_key": SecretStr(creds.payer_key)})
        print("starting payer simulator, worker, consumer, API, inbox and webhook delivery ...")
        apps.start_all(settings)
        api = httpx.Client(
            base_url=settings.api_url, headers={"X-API-Key": creds.feeder_key}, timeout=30
        )
        print("feeding sample claims:")
        claim_ids = feed(settings, api, examples)
        settle(api, claim_ids)
        report(settings, api, claim_ids)
        sign_ins(settings, creds)
        print(
            f"\nConsole    {settings.api_url}/console  (sign in below)\n"
            f"API        {settings.api_url}  (docs {settings.api_url}/docs)\n"
            f"Temporal   {settings.temporal_address}  "
            f"(UI http://{settings.temporal_host}:{settings.temporal_ui_port}, payloads "
            f"decoded by {settings.api_url}/codec for a signed-in person)\n"
            f"Kafka      {settings.kafka_bootstrap}  topics {topics.LIFECYCLE}, {topics.STATE}\n"
            f"Logs       {settings.state_dir / 'logs'}\n"
            f"Metrics    {settings.api_url}/metrics, {settings.payer_url}/metrics, worker "
            f":{apps.LOCAL_METRICS['worker'][0]}, consumer :{apps.LOCAL_METRICS['consumer'][0]}"
            f", inbox :{apps.LOCAL_METRICS['inbox'][0]} (Temporal SDK: :9474-9477)\n"
            "Try: .venv/bin/claimflow status <claim id>   |   Ctrl-C or make down stops "
            "everything."
        )
        while True:
            time.sleep(0.5)
    except _Stopped:
        pass
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if api is not None:
            api.close()
        print("\nstopping claimflow processes and the stack ...")
        apps.stop_all(settings)
        stack.down(settings)
        process.unregister(settings.state_dir, RUN)
        print("stopped; state kept (make reset deletes it).")


def stop_run(settings: Settings, timeout: float = 120.0) -> bool:
    """Stop a running ``make run`` (its parent process), which then stops what it started.

    False if none runs. The timeout covers its clean-up: Kafka's graceful stop alone can
    take half a minute.
    """
    return process.stop(settings.state_dir, RUN, timeout=timeout, group=False)
