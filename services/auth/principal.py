"""The identity a request carries, once its credential has been checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from claims.roles import Role
from events.contract import Actor

Channel = Literal["api", "cli", "console"]


@dataclass(frozen=True)
class Principal:
    name: str
    kind: Literal["user", "api_key"]
    roles: frozenset[Role]
    channel: Channel = "api"
    # Who vouched for the name: claimflow itself, an OIDC issuer, or the API key table.
    issuer: str = "claimflow"

    def actor(self) -> Actor:
        """What travels into the workflow, its history and the claim's events."""
        return Actor(
            name=self.name,
            kind=self.kind,
            roles=tuple(sorted(self.roles)),
            channel=self.channel,
        )

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)
