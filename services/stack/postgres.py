"""PostgreSQL from Debian's packages, run as the system's ``main`` cluster.

Unlike Temporal and Kafka this is a system service: its data lives in /var/lib/postgresql, not
the state dir, and it may have been running before we came. So ``up`` records in the state dir
whether it was the one that started the cluster, and ``down`` stops the cluster only then;
it never stops a PostgreSQL someone else relies on.

PostgreSQL refuses to run as root; ``pg_ctlcluster`` and ``runuser -u postgres`` take care of
that. The application connects over TCP as the ``claimflow`` role with a password.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from services.settings import Settings
from services.stack import process

NAME = "postgres"
CLUSTER = "main"
ROLE = "claimflow"
PASSWORD = "claimflow"
START_TIMEOUT = 30.0
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _run(argv: list[str], what: str, timeout: float = 120) -> str:
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout
        )
    except FileNotFoundError as exc:
        raise process.StackError(f"{what}: {argv[0]} not found ({exc})") from exc
    if result.returncode != 0:
        raise process.StackError(
            f"{what} failed (exit {result.returncode}): {' '.join(argv)}\n"
            + (result.stdout + result.stderr).strip()
        )
    return result.stdout


def installed_versions() -> list[int]:
    """Major versions with a server binary, newest first."""
    found = Path("/usr/lib/postgresql").glob("*/bin/postgres")
    return sorted((int(p.parts[-3]) for p in found if p.parts[-3].isdigit()), reverse=True)


def ensure_installed() -> int:
    """Install PostgreSQL with apt if no server is present; returns the major version."""
    versions = installed_versions()
    if versions:
        return versions[0]
    if os.geteuid() != 0:
        raise process.StackError(
            "PostgreSQL is not installed and installing it needs root: "
            "run `apt-get install -y postgresql` as root"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
        result = subprocess.run(
            argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=900
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise process.StackError(f"`{' '.join(argv)}` failed:\n{tail}")
    versions = installed_versions()
    if not versions:
        raise process.StackError(
            "apt installed postgresql, but there is no /usr/lib/postgresql/*/bin/postgres"
        )
    return versions[0]


def cluster_info(version: int) -> dict[str, Any] | None:
    """``pg_lsclusters``' record of ``<version>/main``, or None if the cluster does not exist."""
    clusters: list[dict[str, Any]] = json.loads(_run(["pg_lsclusters", "--json"], "pg_lsclusters"))
    for cluster in clusters:
        if int(cluster["version"]) == version and cluster["cluster"] == CLUSTER:
            return cluster
    return None


def _marker(settings: Settings) -> Path:
    return settings.state_dir / "postgres" / "started-by-claimflow"


def _psql(info: dict[str, Any], sql: str) -> str:
    return _run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "psql",
            "-h",
            str(info["socketdir"]),
            "-p",
            str(info["port"]),
            "-v",
            "ON_ERROR_STOP=1",
            "-X",
            "-tA",
            "-c",
            sql,
        ],  # fmt: skip
        "psql as postgres",
    ).strip()


def _check_identifier(name: str) -> str:
    """Database names are interpolated into SQL, so only plain identifiers are accepted."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def up(settings: Settings) -> None:
    """Install, create and start the cluster as needed; make the role and database exist."""
    version = ensure_installed()
    info = cluster_info(version)
    if info is None:
        _run(
            ["pg_createcluster", str(version), CLUSTER, "--port", str(settings.postgres_port)],
            "pg_createcluster",
        )
        info = cluster_info(version)
        assert info is not None
    if int(info["port"]) != settings.postgres_port:
        raise process.StackError(
            f"PostgreSQL cluster {version}/{CLUSTER} listens on port {info['port']}, but "
            f"CLAIMFLOW_POSTGRES_PORT is {settings.postgres_port}: set CLAIMFLOW_POSTGRES_PORT="
            f"{info['port']}, or change `port` in {info['configdir']}/postgresql.conf"
        )
    if not info["running"]:
        _run(["pg_ctlcluster", str(version), CLUSTER, "start"], "pg_ctlcluster start")
        _marker(settings).parent.mkdir(parents=True, exist_ok=True)
        _marker(settings).write_text(f"{version} {CLUSTER}\n")
    process.wait_for_port("127.0.0.1", settings.postgres_port, START_TIMEOUT)
    role_sql = (
        f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN "
        f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'; END IF; END$$;"
    )
    _psql(info, role_sql)
    # DROP DATABASE ... WITH (FORCE) (tests' throwaway databases) must end every session on
    # the database, including an autovacuum worker's, which is not the app role's to end.
    _psql(info, f"GRANT pg_signal_backend TO {ROLE}")
    db = _check_identifier(settings.postgres_db)
    if not _psql(info, f"SELECT 1 FROM pg_database WHERE datname = '{db}'"):
        _psql(info, f'CREATE DATABASE "{db}" OWNER {ROLE}')


def down(settings: Settings) -> bool:
    """Stop the cluster only if ``up`` (for this state dir) started it."""
    marker = _marker(settings)
    if not marker.exists():
        return False
    version, cluster = marker.read_text().split()
    info = cluster_info(int(version))
    if info is not None and info["running"]:
        _run(["pg_ctlcluster", version, cluster, "stop"], "pg_ctlcluster stop")
    marker.unlink()
    return True


def status(settings: Settings) -> str:
    """ "running", "stopped" or "not installed" (cheap: never installs anything)."""
    versions = installed_versions()
    if not versions:
        return "not installed"
    try:
        info = cluster_info(versions[0])
    except process.StackError:  # e.g. postgresql-common (pg_lsclusters) missing
        return "unknown"
    return "running" if info is not None and info["running"] else "stopped"


def url(settings: Settings, db: str | None = None) -> str:
    """SQLAlchemy URL of database ``db`` (default ``settings.postgres_db``) as the app role."""
    name = db or settings.postgres_db
    return f"postgresql+psycopg2://{ROLE}:{PASSWORD}@127.0.0.1:{settings.postgres_port}/{name}"


def _admin_execute(settings: Settings, sql: str) -> None:
    """Run ``sql`` outside a transaction (CREATE/DROP DATABASE require it) as the app role."""
    import psycopg2

    conn = psycopg2.connect(
        host="127.0.0.1",
        port=settings.postgres_port,
        user=ROLE,
        password=PASSWORD,
        dbname="postgres",
        connect_timeout=5,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def create_database(settings: Settings, name: str) -> str:
    """Create a fresh database owned by the app role and return its URL.

    Meant for tests that each want an empty database, so a leftover of the same name (from a
    run that crashed before cleaning up) is dropped first rather than reused.
    """
    _check_identifier(name)
    drop_database(settings, name)
    _admin_execute(settings, f'CREATE DATABASE "{name}"')
    return url(settings, name)


def drop_database(settings: Settings, name: str) -> None:
    """Drop ``name`` if it exists, disconnecting any sessions still open on it."""
    _check_identifier(name)
    _admin_execute(settings, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
