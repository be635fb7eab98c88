"""The audit log's table: one row per write request, append-only by the database's own rules.

Kept apart from the middleware that writes it (``services.auth.audit``) so the schema (and
its migrations) need none of the web stack. Triggers refuse UPDATE and DELETE on SQLite and
PostgreSQL; migration 0004 creates them for existing databases.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, Engine, event
from sqlmodel import Field, Session, select

from services.aware_times import AwareTimes


class AuditEntry(AwareTimes, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str | None = Field(default=None, max_length=64)
    actor_kind: str | None = None
    roles: str = ""
    channel: str | None = None
    method: str
    # The route as declared (e.g. /claims/{claim_id}/appeal), or the raw path if none matched.
    route: str
    action: str | None = None
    claim_id: str | None = Field(default=None, index=True, max_length=32)
    status_code: int
    outcome: str
    detail: str | None = None


_NO_CHANGES = {
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
}
for _dialect, _statements in _NO_CHANGES.items():
    for _sql in _statements:
        event.listen(
            AuditEntry.__table__,  # type: ignore[attr-defined]
            "after_create",
            DDL(_sql).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
        )


def record(engine: Engine, entry: AuditEntry) -> None:
    with Session(engine) as session:
        session.add(entry)
        session.commit()


def for_claim(engine: Engine, claim_id: str, limit: int = 1000) -> list[AuditEntry]:
    with Session(engine) as session:
        query = (
            select(AuditEntry)
            .where(AuditEntry.claim_id == claim_id)
            .order_by(AuditEntry.id)  # type: ignore[arg-type]
            .limit(limit)
        )
        return list(session.exec(query))
