"""`claimflow x12 parse` and `x12 validate` on 270s and 271s, as files on disk."""

from __future__ import annotations

import json
from pathlib import Path

from tests.services.test_cli import X12_SAMPLES, no_traceback, run_cli


def test_parse_reads_270_and_271() -> None:
    parsed = run_cli("x12", "parse", str(X12_SAMPLES / "eligibility_request.270"))
    assert parsed.returncode == 0, parsed.stderr
    body = json.loads(parsed.stdout)
    assert body["kind"] == "270"
    (inquiry,) = body["items"]
    assert inquiry["traces"][0]["number"] == "ELIG-4312-A"
    assert inquiry["service_types"] == ["30", "33"] and inquiry["date_of_service"] == "2026-03-02"

    parsed = run_cli("x12", "parse", str(X12_SAMPLES / "eligibility_inactive.271"))
    assert parsed.returncode == 0, parsed.stderr
    body = json.loads(parsed.stdout)
    assert body["kind"] == "271"
    (result,) = body["items"][0]["results"]
    assert (result["status"], result["coverage_end"]) == ("inactive", "2026-01-31")
    assert result["benefits"][0]["code"] == "6"


def test_validate_checks_270_and_271(tmp_path: Path) -> None:
    for name in ("eligibility_request.270", "eligibility_active.271"):
        checked = run_cli("x12", "validate", str(X12_SAMPLES / name))
        assert checked.returncode == 0, checked.stdout
        assert checked.stdout.strip().endswith(": valid")
    bad = tmp_path / "bad.271"
    text = (X12_SAMPLES / "eligibility_active.271").read_text()
    bad.write_text(
        text.replace("EB*C*IND*30*HM*GOLD 123 PLAN*23*1000", "EB*C*IND*30*HM*GOLD 123 PLAN*99*1000")
    )
    checked = run_cli("x12", "validate", str(bad))
    assert checked.returncode == 1 and "EB06" in checked.stdout


def test_parse_refuses_an_unreadable_271(tmp_path: Path) -> None:
    bad = tmp_path / "bad.271"
    bad.write_text(
        (X12_SAMPLES / "eligibility_active.271").read_text().replace("EB*I**AL", "EB**IND*AL")
    )
    result = run_cli("x12", "parse", str(bad))
    assert result.returncode == 2
    assert "EB01 (eligibility or benefit information code) is required" in result.stderr
    no_traceback(result)
