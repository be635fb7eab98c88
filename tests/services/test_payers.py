"""The payer registry on SQLite and PostgreSQL, its API, and ``claimflow payers``."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
from sqlalchemy import Engine

from claims.payer_terms import PayerTerms, PayerTermsUpdate
from claims.roles import Role
from claims.status import ClaimStatus as S
from services import payers
from tests.services.test_cli import cli, no_traceback
from tests.support import Harness, claim_payload, make_token


def test_seeded_added_and_changed(engine: Engine) -> None:
    payers.seed(engine)
    payers.seed(engine)  # idempotent
    assert [p.payer_id for p in payers.list_payers(engine)] == ["SIMPAYER1"]
    payers.add(engine, PayerTerms(payer_id="ACME01", name="Acme Health"))
    with pytest.raises(payers.PayerExists):
        payers.add(engine, PayerTerms(payer_id="ACME01", name="Again"))
    changed = payers.update(engine, "ACME01", PayerTermsUpdate(appeal_window_days=45))
    assert (changed.name, changed.appeal_window_days) == ("Acme Health", 45)
    with pytest.raises(LookupError):
        payers.update(engine, "NOPE", PayerTermsUpdate(settle_days=1))


async def test_payers_cli_and_api_and_inheritance(claimflow: Harness) -> None:
    admin = make_token(claimflow.settings, claimflow.engine, "admin", (Role.ADMIN,))

    def as_admin(*args: str) -> subprocess.CompletedProcess[str]:
        return cli(claimflow, *args, token=admin)

    listed = await asyncio.to_thread(cli, claimflow, "payers", "list")
    assert listed.returncode == 0 and "SIMPAYER1" in listed.stdout, listed.stderr
    added = await asyncio.to_thread(
        as_admin, "payers", "add", "ACME01", "--name", "Acme Health",
        "--appeal-window-days", "45", "--further-appeal-windows", "none",
    )  # fmt: skip
    assert added.returncode == 0 and "appeal 45d (further levels: none)" in added.stdout
    again = await asyncio.to_thread(as_admin, "payers", "add", "ACME01", "--name", "X")
    assert again.returncode == 1 and "already registered" in again.stderr
    no_traceback(again)
    bad = await asyncio.to_thread(as_admin, "payers", "set", "ACME01", "--settle-days", "-4")
    assert bad.returncode == 1 and "settle_days" in bad.stderr
    unknown = await asyncio.to_thread(as_admin, "payers", "set", "NOPE", "--settle-days", "4")
    assert unknown.returncode == 1 and "no payer NOPE" in unknown.stderr
    changed = await asyncio.to_thread(as_admin, "payers", "set", "ACME01", "--follow-up-days", "14")
    assert changed.returncode == 0 and "follow-up 14d" in changed.stdout

    # A claim names ACME01 and sets one term itself: it inherits the rest; the override is
    # recorded with the claim.
    payload = claim_payload(payer={"payer_id": "ACME01", "name": "Acme", "settle_days": 5})
    claim_id = await claimflow.submit(payload)
    view = await claimflow.wait_status(claim_id, S.SUBMITTED)
    [finding] = view["reports"]["intake"]["findings"]
    assert (
        finding["code"] == "INTAKE_PAYER_TERM_OVERRIDE" and finding["field"] == "payer.settle_days"
    )
    listed = await asyncio.to_thread(cli, claimflow, "payers", "list", "--json")
    acme = next(p for p in json.loads(listed.stdout) if p["payer_id"] == "ACME01")
    assert acme["follow_up_days"] == 14
