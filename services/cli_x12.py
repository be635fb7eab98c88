"""``claimflow x12 ...`` and ``claimflow remit``: X12 files from the command line.

``x12`` works on files alone (render, parse, validate); ``remit`` hands a payer's file to the
running API, which posts it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from services.cli_common import API_OPTION, api_url, explain, fail, load_claim, request
from services.settings import get_settings

x12_app = typer.Typer(help="Read, check and write X12 5010 (837P, 999, 277CA, 835, 270, 271).")


def _read_x12(file: Path) -> str:
    try:
        return file.read_text(errors="replace")
    except FileNotFoundError:
        fail(f"{file}: no such file", 2)


@x12_app.command("render")
def x12_render(
    file: Path,
    out: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
) -> None:
    """Render a claim file (claim JSON or a FHIR R4 Claim) as an 837P (control numbers from
    the persisted counter; the claim's patient control number recorded like a submission's)."""
    from claims.x12.render_837p import RenderError
    from services import x12_store
    from services.db import init_db, make_engine
    from services.x12_files import build_837p

    settings = get_settings()
    claim = load_claim(file)
    if claim.claim_id is None:
        from ulid import ULID

        claim = claim.with_id(str(ULID()))
    engine = make_engine(settings.resolved_database_url)
    init_db(engine, auto_migrate=settings.auto_migrate)
    try:
        text, _ = build_837p(settings, engine, [claim])
    except RenderError as exc:
        fail(f"{file}: cannot be an 837P: {exc}")
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        pcn = x12_store.patient_control_number_of(engine, claim.claim_id or "")
        typer.echo(f"wrote {out} (claim {claim.claim_id}, patient control number {pcn})")


def _jsonable(value: Any) -> Any:
    """Dataclasses and pydantic models (the parsers return both) as plain JSON values."""
    import dataclasses

    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@x12_app.command("parse")
def x12_parse(file: Path) -> None:
    """Print an 837P, 999, 277CA, 835, 270 or 271 as JSON (exit 2 if it cannot be read).

    The read is liberal: deviations from the guide (a 4010-style ISA11, trailers that
    miscount, a missing BPR16 ...) are listed under "findings" with their segment and
    offset. ``claimflow x12 validate`` is the strict check.
    """
    from claims.x12 import ack_999, remit_835, status_277ca
    from claims.x12.eligibility_270 import parse_270
    from claims.x12.errors import X12Error, X12Finding
    from claims.x12.inbound import file_kind
    from claims.x12.interchange import read_document
    from claims.x12.read_271 import parse_271
    from claims.x12.read_837p import parse_837p

    text = _read_x12(file)
    findings: list[X12Finding] = []
    try:
        doc = read_document(text, [])
        kinds = {gs.functional_id for _, gs, _ in doc.transactions()}
        found: list[Any]
        if kinds == {"HC"}:
            kind, found = "837P", list(parse_837p(text, findings=findings))
        elif kinds == {"HS"}:
            kind, found = "270", list(parse_270(text))
        elif kinds == {"HB"}:
            kind, found = "271", list(parse_271(text))
        else:
            kind = file_kind(text)
            if kind == "835":
                found = list(remit_835.parse_835(text, findings=findings))
            elif kind == "277CA":
                found = list(status_277ca.parse_277ca(text, findings=findings))
            else:
                found = list(ack_999.parse_999(text, findings=findings))
    except X12Error as exc:
        fail(f"{file}: {exc}", 2)
    except ValueError as exc:
        fail(f"{file}: {exc}", 2)
    body = [_jsonable(item) for item in found]
    notes = [str(f) for f in findings]
    typer.echo(json.dumps({"kind": kind, "items": body, "findings": notes}, indent=2, default=str))


@x12_app.command("validate")
def x12_validate(file: Path) -> None:
    """Check a file against the HIPAA implementation guide (pyx12); exit 1 on findings."""
    from claims.x12.validate import validate

    findings = validate(_read_x12(file))
    for f in findings:
        typer.echo(f"{f}")
    if findings:
        raise typer.Exit(1)
    typer.echo(f"{file}: valid")


@x12_app.command("show")
def x12_show(file: Path, api: str | None = API_OPTION) -> None:
    """Print a kept X12 file (sent, received, quarantined) in plain text.

    Kept copies are encrypted; the API decrypts one for a signed-in biller, supervisor or
    ops user (CLAIMFLOW_TOKEN) and records who read it in the audit log.
    """
    from services.crypto.files import is_encrypted

    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}", 2)
    if not is_encrypted(data):
        fail(f"{file}: not an encrypted claimflow file (it can be read as it is)", 2)
    response = request(
        "POST",
        f"{api_url(api)}/x12/decrypt",
        content=data,
        headers={"content-type": "application/octet-stream"},
    )
    if response.status_code != 200:
        explain(response)
    typer.echo(response.text, nl=False)


def remit(file: Path, api: str | None = API_OPTION) -> None:
    """Take a payer's 835 (or 277CA, 999): post it, or say why it was quarantined or refused.

    Exit 0: posting; 1: quarantined (does not balance) or already taken; 2: unreadable.
    """
    data = file.read_bytes() if file.exists() else fail(f"{file}: no such file", 2)
    response = request(
        "POST",
        f"{api_url(api)}/x12/inbound",
        content=data,
        headers={"content-type": "application/edi-x12", "x-filename": file.name},
    )
    body = response.json()
    if response.status_code == 422 and isinstance(body, dict):
        detail = body["detail"][0]
        fail(f"{file}: {detail['msg']}", 2)
    if isinstance(body, dict):  # refused as a request (401, 403, 413), not per unit
        explain(response)
    for unit in body:
        typer.echo(f"{unit['file_id']}: {unit['outcome']} ({unit['messages']} messages)")
        for problem in unit["problems"]:
            typer.echo(f"  {problem}")
    if response.status_code != 202:
        raise typer.Exit(1)
