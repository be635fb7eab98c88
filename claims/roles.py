"""Who may do what to a claim: the roles, and the one rule about money that depends on them.

The roles are the billing office's jobs. The route x role table (``services.auth.policy``)
says which role may call which API route; what stays here is the part of authorization
that the claim's workflow itself must decide, deterministically, from its own state: a
write-off of more than a threshold asked by someone who is not a supervisor waits for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum


class Role(StrEnum):
    INTAKE = "intake"  # submit claims (JSON, FHIR), upload payer files
    CODER = "coder"  # read; recode
    BILLER = "biller"  # read; correct, appeal, replace, void, write off up to the threshold
    SUPERVISOR = "supervisor"  # all a biller may, and approve write-offs above the threshold
    OPS = "ops"  # read everything; no writes
    ADMIN = "admin"  # users, API keys, keys, settings; no claim actions


def known_roles(names: Iterable[str]) -> frozenset[Role]:
    """The roles among ``names`` that claimflow knows (an OIDC provider sends others too)."""
    values = {r.value for r in Role}
    return frozenset(Role(n) for n in names if n in values)


def write_off_needs_approval(
    outstanding: Decimal, threshold: Decimal | None, roles: Iterable[str]
) -> bool:
    """True when a supervisor must approve: above the threshold and not asked by one.

    ``threshold`` None means no approval rule was given (requests recorded before the rule
    existed), so nothing waits.
    """
    if threshold is None:
        return False
    return outstanding > threshold and Role.SUPERVISOR not in set(roles)
