"""Fuzzing the running API, with a bounded budget (it runs in ``make test``).

* schemathesis generates requests for every operation of the OpenAPI document: no answer
  is a 5xx, and every answer (4xx refusals included) matches what the document says.
* hypothesis damages valid claims (a value swapped for a nasty one: X12 delimiters,
  control characters, CJK, huge, empty, wrong type; a field dropped) and valid payer files
  (truncated, segments dropped or doubled, characters flipped, random bytes): every answer
  is a 2xx/4xx that says what happened, and nothing is half-written: a refused claim starts
  no workflow, an accepted one comes to rest in a status a person can act on (never stuck,
  never a failed workflow); a refused file records nothing, a taken one is recorded whole.

The API, a worker and the payer simulator run as processes on the session's test stack.
Credentials: every request carries the headers of a user holding every role a claim's life
needs (``tests.support.signed_in``), so generated requests reach the routes.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.core.result import Err
from sqlmodel import Session, select
from ulid import ULID

from claims.status import ClaimStatus as S
from services import apps
from services.api.errors import ErrorBody
from services.consumer import prepare_topics
from services.db import make_engine
from services.inbound import UnitResult
from services.inbound_store import InboundFile, InboundUnitRecord
from services.settings import REPO_ROOT, Settings
from services.stack import process
from tests.support import claim_payload, signed_in, unique_settings

pytestmark = [pytest.mark.stack, pytest.mark.long, pytest.mark.timeout(600)]

# Examples per fuzzed operation / per hypothesis test: a few minutes in all on 2 cores.
BUDGET = int(os.environ.get("CLAIMFLOW_FUZZ_EXAMPLES", "15"))
# CI replays the same examples every run (a red build names a regression, not a new find);
# CLAIMFLOW_FUZZ_RANDOM=1 explores afresh, as `make reliability` does.
DERANDOMIZE = os.environ.get("CLAIMFLOW_FUZZ_RANDOM") != "1"
X12_DATA = REPO_ROOT / "tests" / "claims" / "x12" / "data"
X12_SAMPLES = [
    X12_DATA / name
    for name in (
        "era_mixed_outcomes.835",
        "era_pipe_style.835",
        "status_mixed.277",
        "ack_partial.999",
    )
]
# Where an accepted claim may rest: waiting for a person or the payer, or finished.
AT_REST = {
    S.CODING_REVIEW, S.SCRUB_FAILED, S.SUBMITTED, S.ACCEPTED, S.REJECTED, S.ADJUDICATED,
    S.PAID, S.PARTIALLY_PAID, S.DENIED, S.CLOSED,
}  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_stack(
    test_stack: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, dict[str, str]]]:
    state = tmp_path_factory.mktemp("fuzz")
    settings, headers = signed_in(unique_settings(test_stack, state, payer_delay_seconds=0.2))
    prepare_topics(settings)
    names = ["payer-sim", "api", "worker"]
    try:
        for name in names:
            apps.start(settings, name)
        yield settings, headers
    finally:
        for name in reversed(names):
            process.stop(settings.state_dir, name)


@pytest.fixture(scope="module")
def fuzz_api(fuzz_stack: tuple[Settings, dict[str, str]]) -> Settings:
    return fuzz_stack[0]


@pytest.fixture(scope="module")
def auth_headers(fuzz_stack: tuple[Settings, dict[str, str]]) -> dict[str, str]:
    return fuzz_stack[1]


def test_api_answers_every_generated_request_as_documented(
    fuzz_api: Settings, auth_headers: dict[str, str]
) -> None:
    """Each operation in turn (schemathesis' own pytest plugin does not run on pytest 9)."""
    schema = schemathesis.openapi.from_url(f"{fuzz_api.api_url}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the document describes unreadably
            pytest.fail(f"/openapi.json: {result.err()}")
        operations.append(result.ok())
    assert len(operations) >= 10
    for operation in operations:

        @settings(
            max_examples=BUDGET,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=DERANDOMIZE,
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(
                base_url=fuzz_api.api_url,
                headers=auth_headers,
                checks=[
                    checks.not_a_server_error,
                    checks.status_code_conformance,
                    checks.content_type_conformance,
                    checks.response_schema_conformance,
                ],
            )

        fuzz()


# ------------------------------------------------------------------ claim JSON

ODD = ["", " ", "*", "~", ":", "^", "A*B~C", "\x00", "\x1d", "張偉", "Ñoño", "9" * 400]
NASTY: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    if path:
        yield path


def _damage(payload: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    damaged = copy.deepcopy(payload)
    for _ in range(data.draw(st.integers(1, 3), label="damages")):
        path = data.draw(st.sampled_from(sorted(_leaves(damaged), key=str)), label="where")
        parent = damaged
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and data.draw(st.booleans(), label="drop"):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = data.draw(NASTY, label="value")
        if not damaged:
            break
    return damaged


def _error_body(response: httpx.Response) -> None:
    ErrorBody.model_validate(response.json())


def test_damaged_claims_are_refused_cleanly_or_come_to_rest(
    fuzz_api: Settings, auth_headers: dict[str, str]
) -> None:
    http = httpx.Client(base_url=fuzz_api.api_url, headers=auth_headers, timeout=60)
    accepted: list[str] = []

    @settings(
        max_examples=BUDGET * 2,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=DERANDOMIZE,
    )
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        claim_id = str(ULID())
        payload = _damage(claim_payload(claim_id=claim_id), data)
        response = http.post("/claims", json=payload)
        assert response.status_code in (202, 422), response.text
        if response.status_code == 422:
            _error_body(response)
            assert response.json()["detail"], "a refusal names the field and the rule"
            # Nothing half-started: no workflow for the refused claim.
            assert http.get(f"/claims/{claim_id}").status_code == 404
        else:
            accepted.append(response.json()["claim_id"])

    try:
        fuzz()
        # Every accepted claim comes to rest where a person (or the payer) can move it.
        deadline = time.monotonic() + 240
        waiting = set(accepted)
        while waiting and time.monotonic() < deadline:
            for claim_id in sorted(waiting):
                response = http.get(f"/claims/{claim_id}")
                if response.status_code == 200 and response.json()["status"] in AT_REST:
                    waiting.discard(claim_id)
            time.sleep(0.5)
        assert not waiting, f"{len(waiting)} of {len(accepted)} accepted claims never came to rest"
    finally:
        http.close()


# ------------------------------------------------------------------ payer files


@st.composite
def damaged_x12(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(X12_SAMPLES)).read_bytes()
    how = draw(st.sampled_from(["truncate", "drop", "double", "flip", "bytes", "intact"]))
    term = text[105:106]
    segments = text.split(term)
    if how == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if how in ("drop", "double") and len(segments) > 2:
        i = draw(st.integers(1, len(segments) - 2))
        extra = [] if how == "drop" else [segments[i]]
        return term.join(segments[:i] + extra + segments[i + 1 :])
    if how == "flip":
        chars = bytearray(text)
        for _ in range(draw(st.integers(1, 5))):
            chars[draw(st.integers(0, len(chars) - 1))] = draw(st.integers(0, 255))
        return bytes(chars)
    if how == "bytes":
        return draw(st.binary(max_size=400))
    return text


def test_damaged_payer_files_are_taken_whole_or_not_at_all(
    fuzz_api: Settings, auth_headers: dict[str, str]
) -> None:
    """Every file is stored before it is read: an unreadable one is recorded as refused
    (named in the 422) with no unit taken; a readable one has each unit quarantined whole,
    posted, or a duplicate, and nothing else recorded."""
    http = httpx.Client(base_url=fuzz_api.api_url, headers=auth_headers, timeout=60)
    engine = make_engine(fuzz_api.resolved_database_url)

    def recorded() -> tuple[dict[str, str], dict[str, str]]:
        with Session(engine) as session:
            files = {f.file_id: f.status for f in session.exec(select(InboundFile))}
            units = {u.unit_id: u.status for u in session.exec(select(InboundUnitRecord))}
        return files, units

    @settings(
        max_examples=BUDGET * 2,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=DERANDOMIZE,
    )
    @given(damaged_x12())
    def fuzz(body: bytes) -> None:
        files_before, units_before = recorded()
        response = http.post("/x12/inbound", content=body, headers={"x-filename": "fuzz"})
        assert response.status_code in (202, 409, 422), response.text
        files_after, units_after = recorded()
        new_files = {k: v for k, v in files_after.items() if k not in files_before}
        assert len(new_files) <= 1, new_files  # one post, at most one stored file
        if response.status_code == 422 and isinstance(response.json(), dict):
            _error_body(response)
            assert list(new_files.values()) in ([], ["refused"]), new_files
            assert all(file_id in response.text for file_id in new_files)
            # Earlier files' units may move on (posting -> posted) meanwhile: only new
            # units would be this file's.
            assert set(units_after) == set(units_before), "an unreadable file took a unit"
            return
        units = [UnitResult.model_validate(u) for u in response.json()]
        for unit in units:
            assert unit.payer_file_id in files_after, unit
            if unit.outcome == "quarantined":  # kept with its report, nothing posted
                assert units_after[unit.file_id] == "quarantined"
                assert unit.problems
            elif unit.outcome == "posting":
                assert units_after[unit.file_id] in ("posting", "posted")
        assert set(units_after) - set(units_before) <= {u.file_id for u in units}

    try:
        fuzz()
    finally:
        http.close()
        engine.dispose()
