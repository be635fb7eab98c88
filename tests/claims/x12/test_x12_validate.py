"""The pyx12 wrapper: findings that point at segments, never an exception, no files left.

Also pins the pyx12 4.0.0 quirks claimflow works around, so that an upgrade that fixes
(or changes) them shows up here first.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from x12_testkit import envelope, sample, varied_claims

from claims.x12 import validate as validate_module
from claims.x12.render_837p import render_837p
from claims.x12.validate import ValidationFinding, validate


def rendered() -> str:
    return render_837p(varied_claims()[:1], envelope=envelope())


def test_clean_file_has_no_findings() -> None:
    assert validate(rendered()) == []
    assert validate(rendered().encode()) == []


def test_findings_name_segment_line_and_element() -> None:
    text = rendered().replace("DMG*D8*19700506*F", "DMG*D8*19701306*F")
    (finding,) = validate(text)
    assert (finding.segment_id, finding.element) == ("DMG", "DMG02")
    assert finding.transaction_control_number == "0001"
    segments = text.split("~")
    assert segments[(finding.line or 0) - 1].startswith("DMG*D8*19701306")
    assert "invalid date" in finding.message and str(finding).startswith(f"segment {finding.line}")


def test_missing_required_segment() -> None:
    text = rendered()
    start = text.index("~REF*EI*") + 1
    text = text[:start] + text[text.index("~", start) + 1 :]
    findings = validate(text)
    assert any(f.segment_id == "REF" and "Tax Identification" in f.message for f in findings)


@pytest.mark.parametrize("garbage", ["", "hello", "ISA*" + "x" * 200, "\x00\xff" * 60])
def test_garbage_is_a_finding(garbage: str) -> None:
    findings = validate(garbage)
    assert findings and all(isinstance(f, ValidationFinding) for f in findings)


def test_a_pyx12_crash_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyx12.x12n_document

    def boom(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(pyx12.x12n_document, "x12n_document", boom)
    (finding,) = validate(rendered())
    assert finding.code == "PYX12_ENGINE" and "kaboom" in finding.message


def test_a_crash_outside_the_engine_is_a_finding_too(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str, handler: object) -> list[ValidationFinding]:
        raise MemoryError("out")

    monkeypatch.setattr(validate_module, "_run", boom)
    (finding,) = validate(rendered())
    assert finding.code == "PYX12_CRASH"


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_no_files_left_behind_and_no_log_noise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(os.listdir(tempfile.gettempdir()))
    app = _Keep()  # stands for the application's own (root) handlers
    logging.getLogger().addHandler(app)
    try:
        findings = validate(rendered().replace("DMG*D8*19700506", "DMG*D8*19701306"))
    finally:
        logging.getLogger().removeHandler(app)
    assert findings
    assert list(tmp_path.iterdir()) == []
    assert set(os.listdir(tempfile.gettempdir())) - before == set()
    # pyx12 logs the bad value (possibly PHI); it must not reach the application's logs.
    assert not [r for r in app.records if r.name.startswith("pyx12")]


def test_importing_the_parsers_does_not_load_pyx12() -> None:
    code = (
        "import sys, claims.x12.remit_835, claims.x12.render_837p, claims.x12.ack_999, "
        "claims.x12.status_277ca, claims.x12.validate; print('pyx12' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ pinned pyx12 quirks


def test_quirk_pyx12_999_generation_crashes_on_an_erroneous_835() -> None:
    """DESIGN: pyx12 crashed generating a 999 for an erroneous 835. Its 999 visitor needs
    ST03, which the 835 guide does not use, so any 835 with an error makes it raise (it
    catches and logs that itself, writing no 999). ``validate`` never asks for a 999, and
    claimflow's 999s come from ``render_remits.render_999``."""
    import pyx12.params
    import pyx12.x12n_document

    bad = sample("era_mixed_outcomes.835").replace("*20260313~", "~", 1)
    logger = logging.getLogger("pyx12")
    keep = _Keep()
    logger.addHandler(keep)
    try:
        out = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(bad), out, None, None
        )
    finally:
        logger.removeHandler(keep)
    assert not ok
    # It writes the 999's envelope and AK1, then dies at AK2: a truncated 999.
    assert "AK1*HP*4711" in out.getvalue() and "AK2" not in out.getvalue()
    crash = next(r for r in keep.records if "Failed to create 999 response" in r.getMessage())
    assert crash.exc_info is not None and "vriic was not set" in str(crash.exc_info[1])
    assert [f.element for f in validate(bad)] == ["BPR16"]


def test_quirk_pyx12_flags_svc07_in_a_277ca_service_line() -> None:
    """pyx12's X214 map reports SVC07 (original units, situational) as a "Not Used"
    composite. ``render_277ca`` sends no service lines; our parser reads SVC07 fine."""
    text = sample("status_mixed.277").replace("SVC*HC:99213*150~", "SVC*HC:99213*150****1~")
    (finding,) = validate(text)
    assert finding.segment_id == "SVC" and "Not Used" in finding.message


def test_quirk_pyx12_has_no_map_for_x222a2() -> None:
    text = rendered().replace("005010X222A1", "005010X222A2")
    (finding,) = validate(text)
    assert finding.code == "PYX12_ENGINE" and "Map not found" in finding.message
