"""What every claimflow command shares: reaching the API, reading files, failing clearly.

Every failure is a ``CliError`` that ``services.cli.main`` prints as one line with an exit
code (1 refused, 2 unreadable input): never a traceback for a bad request.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer

from services.settings import get_settings

API_OPTION = typer.Option(None, "--api", help="API base URL (default: from settings).")


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 1) -> NoReturn:
    raise CliError(message, code)


def api_url(url: str | None) -> str:
    return url or get_settings().api_url


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return httpx.request(method, url, timeout=30.0, **kwargs)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the claimflow API at {url}: {exc}. Is it running (make run)?")


def explain(response: httpx.Response) -> NoReturn:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if isinstance(detail, list):
        lines = [f"  {d.get('field')}: {d.get('msg')} ({d.get('rule')})" for d in detail]
        fail(f"rejected ({response.status_code}):\n" + "\n".join(lines))
    fail(f"rejected ({response.status_code}): {detail}")


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        fail(f"{path}: no such file", 2)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path}: not valid JSON: {exc}", 2)
