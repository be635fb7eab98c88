"""``make run``'s sign-ins: made once, kept 0600, the same on the next run, working."""

from __future__ import annotations

import json
from pathlib import Path

from claims.roles import Role
from services.auth import apikeys, bootstrap, users
from services.db import init_db, make_engine
from services.settings import Settings


def test_one_user_per_role_and_machine_keys_made_once(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    engine = make_engine(settings.resolved_database_url)
    init_db(engine)
    first = bootstrap.ensure(settings, engine)
    path = bootstrap.credentials_file(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    for role in Role:
        password = first.passwords[role.value]
        assert password is not None
        user = users.verify_password(engine, role.value, password)
        assert user is not None and user.role_set == {role}
    payer = apikeys.verify_key(engine, first.payer_key)
    assert payer is not None and payer.role_set == {Role.INTAKE}
    feeder = apikeys.verify_key(engine, first.feeder_key)
    assert feeder is not None and feeder.role_set == {Role.INTAKE, Role.BILLER, Role.OPS}

    again = bootstrap.ensure(settings, engine)
    assert (again.passwords, again.keys) == (first.passwords, first.keys)

    # A revoked key is replaced under a fresh name; the old one stays revoked.
    apikeys.revoke_key(engine, "payer-sim")
    third = bootstrap.ensure(settings, engine)
    assert third.payer_key != first.payer_key
    replaced = apikeys.verify_key(engine, third.payer_key)
    assert replaced is not None and replaced.name == "payer-sim-2"
    assert json.loads(path.read_text())["keys"]["payer-sim"] == third.payer_key
    engine.dispose()


def test_an_unknown_name_costs_what_a_wrong_password_costs(tmp_path: Path) -> None:
    """The hash verified for a name that does not exist has today's parameters (else a
    wrong name would answer faster or slower than a wrong password), and matches nothing."""
    assert not users._hasher.check_needs_rehash(users._DUMMY_HASH)
    engine = make_engine(Settings(state_dir=tmp_path).resolved_database_url)
    init_db(engine)
    assert users.verify_password(engine, "nobody", "claimflow-no-such-user") is None
