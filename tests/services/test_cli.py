"""The `claimflow` command as a biller runs it: real process, real API, real Kafka."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from claims.status import ClaimStatus as S
from services.apps import child_env
from services.settings import REPO_ROOT
from tests.support import Harness, claim_payload, free_port


def cli(
    h: Harness, *args: str, token: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI as a person runs it: signed in with the harness's token (or ``token``)."""
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        capture_output=True,
        text=True,
        env={**child_env(h.settings), "CLAIMFLOW_TOKEN": h.token if token is None else token},
        cwd=REPO_ROOT,
        timeout=60,
        input=stdin,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


async def test_submit_status_events(claimflow: Harness, tmp_path: Path) -> None:
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(claim_payload()))
    submitted = await asyncio.to_thread(cli, claimflow, "submit", str(path))
    assert submitted.returncode == 0, submitted.stderr
    claim_id = submitted.stdout.strip()
    await claimflow.wait_status(claim_id, S.PAID)

    status = await asyncio.to_thread(cli, claimflow, "status", claim_id, "--json")
    view = json.loads(status.stdout)
    assert (view["claim_id"], view["status"]) == (claim_id, "PAID")
    human = await asyncio.to_thread(cli, claimflow, "status", claim_id)
    assert "PAID" in human.stdout and "SCRUBBED" in human.stdout

    events = await asyncio.to_thread(cli, claimflow, "events", claim_id, "--json")
    lines = [json.loads(line) for line in events.stdout.splitlines()]
    assert [e["id"] for e in lines] == [f"{claim_id}:{n}" for n in range(1, 8)]
    assert lines[-1]["type"] == "claimflow.claim.paid.v1"

    refused = await asyncio.to_thread(cli, claimflow, "appeal", claim_id, "--reason", "why not")
    assert refused.returncode == 1
    assert "only a DENIED or PARTIALLY_PAID claim can be appealed" in refused.stderr
    no_traceback(refused)


async def test_bad_input_gets_a_clear_error(claimflow: Harness, tmp_path: Path) -> None:
    bad = claim_payload()
    bad["billing_provider"]["npi"] = "12"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = await asyncio.to_thread(cli, claimflow, "submit", str(path))
    assert result.returncode == 1
    assert "billing_provider.npi" in result.stderr and "'12'" in result.stderr
    no_traceback(result)

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{nope")
    result = await asyncio.to_thread(cli, claimflow, "submit", str(garbage))
    assert result.returncode == 2 and "not valid JSON" in result.stderr
    result = await asyncio.to_thread(cli, claimflow, "submit", str(tmp_path / "missing.json"))
    assert result.returncode == 2 and "no such file" in result.stderr

    result = await asyncio.to_thread(cli, claimflow, "status", "not-a-claim-id")
    assert result.returncode == 1 and "claim_id" in result.stderr
    result = await asyncio.to_thread(cli, claimflow, "events", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert result.returncode == 1 and "no events" in result.stderr
    no_traceback(result)


async def test_api_down_is_a_clear_error(claimflow: Harness) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = await asyncio.to_thread(
        cli, claimflow, "status", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--api", nowhere
    )
    assert result.returncode == 1
    assert "cannot reach the claimflow API" in result.stderr
    no_traceback(result)


def test_schema_claim_is_json_schema() -> None:
    result = run_cli("schema", "claim")
    schema = json.loads(result.stdout)
    assert schema["title"] == "Claim"
    assert "billing_provider" in schema["required"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


X12_SAMPLES = REPO_ROOT / "tests" / "claims" / "x12" / "data"


def test_x12_commands_on_files_claimflow_did_not_write() -> None:
    """The samples use other delimiters and line breaks than claimflow's own output."""
    for name, kind in [
        ("era_pipe_style.835", "835"),
        ("claim_pipe_style.837", "837P"),
        ("status_mixed.277", "277CA"),
        ("ack_partial.999", "999"),
    ]:
        parsed = run_cli("x12", "parse", str(X12_SAMPLES / name))
        assert parsed.returncode == 0, parsed.stderr
        assert json.loads(parsed.stdout)["kind"] == kind
    checked = run_cli("x12", "validate", str(X12_SAMPLES / "era_pipe_style.835"))
    assert checked.returncode == 0, checked.stdout


def test_x12_render_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "claim.837"
    env_db = {"CLAIMFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    rendered = subprocess.run(
        [sys.executable, "-m", "services", "x12", "render", str(REPO_ROOT / "examples" /
         "clean-office-visit.json"), "--out", str(out)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
        env={**os.environ, **env_db},
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert run_cli("x12", "validate", str(out)).returncode == 0
    broken = tmp_path / "broken.837"
    broken.write_text(out.read_text()[:200])
    result = run_cli("x12", "parse", str(broken))
    assert result.returncode == 2 and "segment" in result.stderr
    no_traceback(result)


def render_cli(tmp_path: Path, file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env_db = {"CLAIMFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "services", "x12", "render", str(file), *extra],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
        env={**os.environ, **env_db},
    )  # fmt: skip


def test_x12_render_takes_a_fhir_claim_like_scrub_and_submit(tmp_path: Path) -> None:
    """Issue 15 #7: every command that takes a claim file takes both formats."""
    fhir = REPO_ROOT / "examples" / "fhir-claim.json"
    out = tmp_path / "fhir.837"
    rendered = render_cli(tmp_path, fhir, "--out", str(out))
    assert rendered.returncode == 0, rendered.stderr
    assert "patient control number" in rendered.stdout
    assert run_cli("x12", "validate", str(out)).returncode == 0
    assert run_cli("scrub", str(fhir)).returncode == 0
    # A FHIR Claim without an identifier: mapped, and the fallback said (on stderr).
    body = json.loads(fhir.read_text())
    del body["identifier"]
    no_id = tmp_path / "no-id.json"
    no_id.write_text(json.dumps(body))
    rendered = render_cli(tmp_path, no_id)
    assert rendered.returncode == 0 and "resource id" in rendered.stderr
    # One that cannot be mapped is refused naming the FHIR element.
    body["type"]["coding"][0]["code"] = "institutional"
    no_id.write_text(json.dumps(body))
    refused = render_cli(tmp_path, no_id)
    assert refused.returncode == 2 and "Claim.type" in refused.stderr
    no_traceback(refused)


def test_invalid_claim_files_name_the_field_and_the_value(tmp_path: Path) -> None:
    bad = json.loads((REPO_ROOT / "examples" / "clean-office-visit.json").read_text())
    bad["lines"][0]["procedure_code"] = "992130"
    bad["subscriber"]["member_id"] = ""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = run_cli("scrub", str(path))
    assert result.returncode == 2
    assert "lines.0.procedure_code" in result.stderr and "'992130'" in result.stderr
    assert "subscriber.member_id" in result.stderr  # named, but PHI is not echoed
    no_traceback(result)
