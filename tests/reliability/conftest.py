"""Fixtures of the reliability suite.

``auth_headers``: the headers every request of the suite carries. The API has no
authentication yet; once it has (issue 8), override this fixture (or set
``CLAIMFLOW_TEST_AUTH_HEADERS`` to a JSON object, e.g. ``{"Authorization": "Bearer ..."}``)
with the credentials of a role allowed to do everything the suite does (submit, act, read).
The fuzz tests send them on every generated request too, so that they exercise the routes
rather than the authentication's 401.
"""

from __future__ import annotations

import json
import os

import pytest


@pytest.fixture(scope="session")
def auth_headers() -> dict[str, str]:
    headers: dict[str, str] = json.loads(os.environ.get("CLAIMFLOW_TEST_AUTH_HEADERS", "{}"))
    return headers
