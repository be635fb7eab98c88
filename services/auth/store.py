"""What the user and API key tables share: roles stored as one comma-separated column."""

from __future__ import annotations

from collections.abc import Iterable

from claims.roles import Role


def pack_roles(roles: Iterable[Role]) -> str:
    return ",".join(sorted({Role(r).value for r in roles}))


def unpack_roles(packed: str) -> frozenset[Role]:
    return frozenset(Role(r) for r in packed.split(",") if r)


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """Role names from a person (CLI, admin API): an unknown one is an error, not ignored."""
    out = set()
    for name in names:
        try:
            out.add(Role(name.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {name!r}; roles are: {known}") from None
    if not out:
        raise ValueError("at least one role is needed")
    return frozenset(out)
