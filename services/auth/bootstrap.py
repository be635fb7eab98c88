"""``make run``'s sign-ins: one user per role, and API keys for the simulator and the feeder.

Made on the first run, remembered in ``<state>/credentials.json`` (mode 0600, beside the
data it guards) so later runs can print them again. This is for a developer's machine:
a real installation makes its users and keys with ``claimflow users add`` and
``claimflow apikey create`` (or its OIDC provider) and has no such file.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from claims.roles import Role
from services.auth import apikeys, users
from services.crypto.secret_files import write_private
from services.settings import Settings

R = Role
# The machines make run starts, and what they may do.
MACHINES: dict[str, frozenset[Role]] = {
    # POSTs the payer's 999/277CA/835 files to /x12/inbound.
    "payer-sim": frozenset({R.INTAKE}),
    # Submits the samples, appeals the overturnable denials, reads the outcome.
    "make-run-feeder": frozenset({R.INTAKE, R.BILLER, R.OPS}),
}


@dataclass
class RunCredentials:
    passwords: dict[str, str | None]  # user -> password (None: made elsewhere, not known)
    keys: dict[str, str]  # machine -> API key

    @property
    def payer_key(self) -> str:
        return self.keys["payer-sim"]

    @property
    def feeder_key(self) -> str:
        return self.keys["make-run-feeder"]


def credentials_file(settings: Settings) -> Path:
    return settings.state_dir / "credentials.json"


def _key_that_works(engine: Engine, machine: str, known: str | None) -> str:
    if known and apikeys.verify_key(engine, known) is not None:
        return known
    taken = {k.name for k in apikeys.list_keys(engine)}
    name = machine
    n = 1
    while name in taken:  # the old key's secret is lost (or revoked): a fresh name
        n += 1
        name = f"{machine}-{n}"
    _, key = apikeys.create_key(engine, name, MACHINES[machine])
    return key


def ensure(settings: Settings, engine: Engine) -> RunCredentials:
    path = credentials_file(settings)
    saved = json.loads(path.read_text()) if path.exists() else {}
    passwords: dict[str, str | None] = dict(saved.get("users", {}))
    for role in Role:
        if users.get_user(engine, role.value) is None:
            password = secrets.token_urlsafe(12)
            users.add_user(engine, role.value, password, frozenset({role}))
            passwords[role.value] = password
        passwords.setdefault(role.value, None)
    keys = {m: _key_that_works(engine, m, saved.get("keys", {}).get(m)) for m in MACHINES}
    write_private(path, json.dumps({"users": passwords, "keys": keys}, indent=2) + "\n")
    return RunCredentials(passwords, keys)
