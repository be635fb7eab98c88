"""Projecting claim events into a read model, idempotently.

Delivery is at-least-once (a retried publish activity, a consumer restart before its
commit), so the store must treat (claim id, seq) as the identity of an event: the first
copy is applied, later copies are no-ops.
"""

from __future__ import annotations

from typing import Protocol

from events.contract import ClaimAlert, ClaimEvent


class StoreUnavailable(Exception):
    """The store cannot be reached (the database is down): the record is not at fault, so
    the projector waits and tries the same record again instead of dead-lettering it."""


class ReadModelStore(Protocol):
    def apply(self, event: ClaimEvent) -> bool:
        """Record the event; return False if (claim id, seq) was already recorded.

        Raises ``StoreUnavailable`` for an outage; any other error is the record's (it is
        dead-lettered).
        """
        ...


class AlertStore(Protocol):
    def apply(self, alert: ClaimAlert) -> bool:
        """Record the alert; return False if its id was already recorded."""
        ...
