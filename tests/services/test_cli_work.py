"""The CLI's work commands as a biller runs them: submit a folder, list, alerts, status,
appeal with an attachment and --wait; real processes against the real stack."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from claims.status import ClaimStatus as S
from events.contract import AlertKind, ClaimAlertData, make_alert
from services import x12_store
from services.apps import child_env
from services.settings import REPO_ROOT
from services.worker import make_producer
from tests.services.test_cli import cli, no_traceback
from tests.support import Harness, claim_payload, denied_for_auth_payload


async def test_submit_a_folder_then_list_and_status(claimflow: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    (folder / "bad").mkdir(parents=True)
    (folder / "a-denied.json").write_text(json.dumps(denied_for_auth_payload()))
    (folder / "b-covered-not.json").write_text(
        json.dumps(claim_payload(procedures=(("97810", "95.00"),)))
    )
    shutil.copy(REPO_ROOT / "examples/invalid/bad-npi-format.json", folder / "bad" / "npi.json")
    (folder / "bad" / "broken.json").write_text("{not json")

    result = await asyncio.to_thread(cli, claimflow, "submit", str(folder))
    assert result.returncode == 1, result.stderr  # two of four refused
    no_traceback(result)
    assert "submitted 2, refused 2" in result.stdout
    flat = " ".join(result.stdout.replace("│", " ").split())  # the table wraps long cells
    assert "billing_provider.npi" in flat and "not valid JSON" in flat
    ids = [
        line.split("│")[2].strip() for line in result.stdout.splitlines() if "│ submitted" in line
    ]
    assert len(ids) == 2
    for claim_id in ids:
        view = await claimflow.wait_status(claim_id, S.DENIED)
        await claimflow.wait_read_model(claim_id, S.DENIED, seq=view["seq"])

    listed = await asyncio.to_thread(
        cli, claimflow, "list", "--status", "denied", "--carc", "197", "--json"
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 1 and rows[0]["denial_reasons"] == ["CO-197"]
    assert rows[0]["appeal_deadline"]
    table = await asyncio.to_thread(cli, claimflow, "list", "--sort", "appeal_deadline")
    assert "2 claims" in table.stdout and "CO-96" in table.stdout and " d)" in table.stdout
    bad = await asyncio.to_thread(cli, claimflow, "list", "--status", "LOST")
    assert bad.returncode == 2 and "not a status" in bad.stderr
    refused = await asyncio.to_thread(cli, claimflow, "list", "--aging", "7-8")
    assert refused.returncode == 1 and "aging_bucket" in refused.stderr
    no_traceback(refused)

    denied = next(r["claim_id"] for r in json.loads(listed.stdout))
    status = await asyncio.to_thread(cli, claimflow, "status", denied)
    assert "Precertification/notification/authorization" in status.stdout  # CARC 197 explained
    assert "N54: Claim information is inconsistent" in status.stdout  # its RARC explained
    assert "appeal deadline" in status.stdout


async def test_appeal_with_attachment_and_wait_then_write_off(
    claimflow: Harness, tmp_path: Path
) -> None:
    claim_id = await claimflow.submit(denied_for_auth_payload())
    await claimflow.wait_status(claim_id, S.DENIED)
    letter = tmp_path / "auth-letter.txt"
    letter.write_text("Authorization AUTH-9913, granted retroactively.\n")

    missing = await asyncio.to_thread(
        cli, claimflow, "appeal", claim_id, "--reason", "auth", "--attachment", "nope.pdf"
    )
    assert missing.returncode == 2 and "nope.pdf" in missing.stderr
    appealed = await asyncio.to_thread(
        cli, claimflow, "appeal", claim_id, "--reason", "authorization obtained",
        "--attachment", str(letter), "--wait",
    )  # fmt: skip
    assert appealed.returncode == 0, appealed.stderr
    assert f"claim {claim_id} APPEALED" in appealed.stdout or "PAID" in appealed.stdout
    # The payer knows the claim by the patient control number it was sent with.
    ref = x12_store.patient_control_number_of(claimflow.engine, claim_id) or claim_id
    received = (await claimflow.http.get(f"{claimflow.settings.payer_url}/v1/appeals/{ref}")).json()
    assert received[0]["attachments"][0]["name"] == "auth-letter.txt"
    await claimflow.wait_status(claim_id, S.PAID)

    other = await claimflow.submit(claim_payload(procedures=(("97810", "95.00"),)))
    view = await claimflow.wait_status(other, S.DENIED)
    wrote = await asyncio.to_thread(
        cli, claimflow, "write-off", other, "--reason", "not covered", "--wait"
    )
    assert wrote.returncode == 0 and "WRITTEN_OFF" in wrote.stdout, wrote.stderr
    await claimflow.wait_read_model(other, S.WRITTEN_OFF, seq=view["seq"] + 1)
    status = await asyncio.to_thread(cli, claimflow, "status", other)
    assert "not covered (wrote off 95.00)" in status.stdout


async def test_alerts_follow_prints_new_alerts(claimflow: Harness) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "services", "alerts", "--follow", "--interval", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**child_env(claimflow.settings), "CLAIMFLOW_TOKEN": claimflow.token}, cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        claim_id = await claimflow.submit(claim_payload())
        await claimflow.wait_status(claim_id, S.PAID)
        producer = make_producer(claimflow.settings)
        alert = make_alert(
            time=dt.datetime.now(dt.UTC),
            data=ClaimAlertData(claim_id=claim_id, alert_seq=1, kind=AlertKind.FOLLOW_UP_DUE,
                                status=S.PAID, payer_id="SIMPAYER1", message="test follow-up"),
        )  # fmt: skip
        await asyncio.to_thread(producer.publish_alert, alert)
        producer.close()
        deadline = time.monotonic() + 60
        seen = ""
        while alert.id not in seen and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            response = await claimflow.http.get("/alerts")
            if any(a["alert_id"] == alert.id for a in response.json()):
                await asyncio.sleep(2)  # a look or two of the follower
                break
    finally:
        proc.terminate()
        out, err = await asyncio.to_thread(proc.communicate, timeout=30)
    assert "follow_up_due" in out and alert.id in out, (out, err)
    acked = await asyncio.to_thread(cli, claimflow, "alerts", "--ack", alert.id)
    assert acked.returncode == 0 and "acknowledged" in acked.stdout
    after = await asyncio.to_thread(cli, claimflow, "alerts")
    assert alert.id not in after.stdout
