"""What runs for one state dir, for ``claimflow stack status``: servers, the database in use,
and claimflow's own processes (``make run``'s parent among them).

Cheap by design: pid files, one ``pg_lsclusters`` when PostgreSQL is the database, a TCP
connect for a remote one; no request is sent to any server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services import apps
from services.settings import Settings
from services.stack import kafka, postgres, process, temporal


@dataclass(frozen=True)
class Component:
    name: str
    state: str  # running, stopped, in use, not created, unreachable, ...
    detail: str  # address, file, pid


def _server(settings: Settings, name: str, address: str) -> Component:
    pid = process.read_pid(settings.state_dir, name)
    return Component(name, "running" if pid else "stopped", address)


def database(settings: Settings) -> Component:
    """The read-model database this state dir's processes use, whichever kind it is."""
    from sqlalchemy.engine import make_url  # here: `claimflow` must start without SQLAlchemy

    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.exists():
            return Component("database", "not created", f"SQLite {path}")
        size = path.stat().st_size / 1e6
        return Component("database", "in use", f"SQLite {path} ({size:.1f} MB)")
    shown = url.render_as_string(hide_password=True)
    host, port = url.host or "127.0.0.1", url.port or 5432
    if host in ("127.0.0.1", "localhost") and port == settings.postgres_port:
        state = postgres.status(settings)  # the local cluster: running / stopped / ...
    else:
        state = "reachable" if process.port_open(host, port) else "unreachable"
    return Component("database", state, f"PostgreSQL {shown}")


def components(settings: Settings) -> list[Component]:
    temporal_address = settings.temporal_address
    if settings.temporal_ui:
        temporal_address += f" (ui http://{settings.temporal_host}:{settings.temporal_ui_port})"
    rows = [_server(settings, temporal.NAME, temporal_address)]
    rows += [
        _server(settings, kafka.node_name(n), kafka.node_bootstrap(settings, n))
        for n in kafka.nodes(settings)
    ]
    rows.append(database(settings))
    for name in (apps.RUN, *apps.APPS):
        pid = process.read_pid(settings.state_dir, name)
        log = process.log_file(settings.state_dir, name)
        detail = f"pid {pid}" if pid else ""
        if name != apps.RUN:
            detail = f"{detail}  log {log}".strip()
        rows.append(Component(name, "running" if pid else "stopped", detail))
    return rows
