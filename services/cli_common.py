"""What every claimflow command shares: reaching the API, reading files, failing clearly.

Every failure is a ``CliError`` that ``services.cli.main`` prints as one line with an exit
code (1 refused, 2 unreadable input): never a traceback for a bad request.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from services.settings import get_settings

if TYPE_CHECKING:  # httpx is imported by the commands that call the API, not by every process
    import httpx

    from claims.model import Claim

API_OPTION = typer.Option(None, "--api", help="API base URL (default: from settings).")


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 1) -> NoReturn:
    raise CliError(message, code)


def api_url(url: str | None) -> str:
    return url or get_settings().api_url


def credentials() -> dict[str, str]:
    """The caller's credential, from ``CLAIMFLOW_TOKEN`` (a person's bearer token) or
    ``CLAIMFLOW_API_KEY`` (a machine's key); the API refuses a request without one (401)."""
    headers = {"X-Claimflow-Channel": "cli"}
    token = os.environ.get("CLAIMFLOW_TOKEN", "").strip()
    key = os.environ.get("CLAIMFLOW_API_KEY", "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif key:
        headers["X-API-Key"] = key
    return headers


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    import httpx

    headers = {**credentials(), **kwargs.pop("headers", {})}
    try:
        return httpx.request(method, url, timeout=30.0, headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the claimflow API at {url}: {exc}. Is it running (make run)?")


def explain(response: httpx.Response) -> NoReturn:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    hint = ""
    if response.status_code == 401:
        hint = "\n  (set CLAIMFLOW_TOKEN from `claimflow token create`, or CLAIMFLOW_API_KEY)"
    if isinstance(detail, list):
        lines = [
            f"  {d.get('field')}: {d.get('msg')} ({d.get('rule')})"
            if d.get("field")
            else f"  {d.get('msg')} ({d.get('rule')})"
            for d in detail
            if isinstance(d, dict)
        ]
        fail(f"rejected ({response.status_code}):\n" + "\n".join(lines) + hint)
    fail(f"rejected ({response.status_code}): {detail}{hint}")


def local_engine() -> Any:
    """The database named by settings, for commands that work without the API (users, keys:
    the first admin has nobody to ask)."""
    from services.db import init_db, make_engine

    engine = make_engine(get_settings().resolved_database_url)
    init_db(engine)
    return engine


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        fail(f"{path}: no such file", 2)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path}: not valid JSON: {exc}", 2)


def is_fhir(body: Any) -> bool:
    return isinstance(body, dict) and body.get("resourceType") == "Claim"


def load_claim(path: Path, *, invalid: int = 2) -> Claim:
    """A claim file in either format every command takes: claimflow's claim JSON or a FHIR
    R4 Claim (mapped here, its notes printed). A file that is not JSON exits 2; a claim
    that is not valid exits ``invalid`` (1 where the command's contract calls it a refused
    request), naming the field and, unless it is PHI, the value."""
    from pydantic import ValidationError

    from claims.fhir import FhirMappingError, map_fhir_claim
    from claims.model import Claim, is_phi_field

    body = load_json(path)
    if is_fhir(body):
        try:
            mapped = map_fhir_claim(body)
        except FhirMappingError as exc:
            fail(f"{path}: cannot map the FHIR Claim: {exc}", invalid)
        for note in mapped.notes:
            typer.echo(f"{path}: note: {note}", err=True)
        return mapped.claim
    try:
        return Claim.model_validate(body)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"]) or "claim"
            value = e.get("input")
            got = (
                f" (got {value!r})"
                if isinstance(value, str | int | float) and not is_phi_field(e["loc"])
                else ""
            )
            problems.append(f"  {where}: {e['msg']}{got}")
        fail(f"{path}: not a valid claim:\n" + "\n".join(problems), invalid)


def claim_body(path: Path) -> dict[str, Any]:
    """A claim file (either format) as the API's claim JSON; an invalid claim is a refused
    request (exit 1), as the API would have refused it."""
    claim = load_claim(path, invalid=1)
    body: dict[str, Any] = claim.model_dump(mode="json", exclude_none=True)
    return body


def post_action(
    claim_id: str, verb: str, body: dict[str, Any], api: str | None, wait: bool = False
) -> dict[str, Any]:
    """POST a human action on a claim; its answer. With ``wait``, the API answers once the
    claim has come to rest (``?wait=true``), and that status is printed."""
    params = {"wait": "true"} if wait else None
    response = request("POST", f"{api_url(api)}/claims/{claim_id}/{verb}", json=body, params=params)
    if response.status_code not in (200, 202):
        explain(response)
    result: dict[str, Any] = response.json()
    if wait and "settled" in result:
        settled = "" if result["settled"] else " (still moving when the wait ran out)"
        typer.echo(f"claim {claim_id} {result['status']} (seq {result['seq']}){settled}")
    return result


def act(
    claim_id: str, verb: str, body: dict[str, Any], api: str | None, wait: bool = False
) -> None:
    """POST a human action on a claim and print where it left the claim (or that it waits)."""
    result = post_action(claim_id, verb, body, api, wait)
    pending = result.get("pending_write_off")
    if pending:
        typer.echo(
            f"claim {result['claim_id']} {result['status']}: the write-off of "
            f"{pending['amount']} waits for a supervisor's approval"
        )
        return
    if not (wait and "settled" in result):
        typer.echo(f"claim {result['claim_id']} {result['status']} (seq {result['seq']})")
