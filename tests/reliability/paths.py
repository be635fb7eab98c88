"""The claim mix of a reliability run: every path a claim can take, chosen by its content.

The payer simulator decides from the claim (README "payer simulator"), so a claim's content
fixes its path and the test knows where it must end and by which statuses. Each path has
the action a person takes on the way (appeal, correct, void, replace) and the pattern its
status history must match (ACCEPTED is optional: the 277CA and the 835 are separate files
and may cross; SCRUBBED before a refusal is optional: the scrubber may catch it first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ulid import ULID

from claims.status import ClaimStatus as S
from tests.support import claim_payload, denied_for_auth_payload

# The letter an appeal sends (uploaded to the claim before the appeal names it).
APPEAL_LETTER = ("auth.pdf", b"%PDF-1.4 retro authorization", "application/pdf")


class Path(StrEnum):
    CLEAN = "clean"
    APPEALED = "denied-appealed"
    CORRECTED = "rejected-corrected"
    PARTIAL = "partial"
    VOIDED = "voided"
    REPLACED = "replaced"
    UNSENDABLE = "refused-corrected"


@dataclass(frozen=True)
class Plan:
    # Where the claim must end, and the status at which the person acts (None: no action).
    final: S
    acts_at: S | None
    action: str | None
    history: str  # regex over the statuses, space-separated


_SUBMIT = r"SCRUBBED SUBMITTED( ACCEPTED)? ADJUDICATED"
PLANS: dict[Path, Plan] = {
    Path.CLEAN: Plan(S.PAID, None, None, rf"RECEIVED CODED {_SUBMIT} PAID"),
    Path.APPEALED: Plan(
        S.PAID, S.DENIED, "appeal", rf"RECEIVED CODED {_SUBMIT} DENIED APPEALED ADJUDICATED PAID"
    ),
    Path.CORRECTED: Plan(
        S.PAID,
        S.REJECTED,
        "correct",
        rf"RECEIVED CODED SCRUBBED SUBMITTED REJECTED CODED {_SUBMIT} PAID",
    ),
    Path.PARTIAL: Plan(S.PARTIALLY_PAID, None, None, rf"RECEIVED CODED {_SUBMIT} PARTIALLY_PAID"),
    Path.VOIDED: Plan(S.VOIDED, S.PAID, "void", rf"RECEIVED CODED {_SUBMIT} PAID VOIDED"),
    Path.REPLACED: Plan(
        S.PAID, S.PAID, "replace", rf"RECEIVED CODED {_SUBMIT} PAID {_SUBMIT} PAID"
    ),
    Path.UNSENDABLE: Plan(
        S.PAID,
        S.SCRUB_FAILED,
        "correct",
        rf"RECEIVED CODED( SCRUBBED)? SCRUB_FAILED CODED {_SUBMIT} PAID",
    ),
}


def _member(member_id: str) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "first_name": "Alex",
        "last_name": "Rivera",
        "date_of_birth": "1980-04-12",
        "sex": "F",
        "address": {
            "line1": "22 Oak Ave",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62704",
        },
    }


@dataclass
class Case:
    """One claim of the run and what the driver has done to it."""

    n: int
    path: Path
    claim_id: str = field(default_factory=lambda: str(ULID()))
    submitted: bool = False
    acted: bool = False
    acted_at_seq: int = 0
    tried_at_seq: int = 0
    attempts: int = 0
    # The appeal's letter, once uploaded (an appeal names attachments of its claim).
    attachment_id: str | None = None

    @property
    def plan(self) -> Plan:
        return PLANS[self.path]

    def payload(self) -> dict[str, Any]:
        """The claim; every claim has its own member id, so none is a duplicate of another."""
        member = f"XJH{self.n:09d}"
        if self.path is Path.APPEALED:
            body = denied_for_auth_payload()
        elif self.path is Path.PARTIAL:
            body = claim_payload(procedures=(("99213", "150.00"), ("36415", "12.00")))
        else:
            body = claim_payload()
        if self.path is Path.CORRECTED:
            member = f"REJECT{self.n:09d}"  # the 277CA rejects it (A3:33)
        elif self.path is Path.UNSENDABLE:
            member = f"XJH*{self.n:09d}"  # '*' is the X12 element separator
        body["subscriber"] = _member(member)
        body["claim_id"] = self.claim_id
        return body

    def fixed(self) -> dict[str, Any]:
        """The corrected claim (correct) or the replacement (replace)."""
        body = self.payload()
        body["subscriber"] = _member(f"XJH{self.n:09d}")
        if self.path is Path.REPLACED:
            body["diagnoses"] = list(reversed(body["diagnoses"]))
        return body

    def request(self) -> tuple[str, dict[str, Any]]:
        action = self.plan.action
        assert action is not None
        if action == "appeal":
            assert self.attachment_id is not None, "upload the letter first"
            return action, {"reason": "authorization obtained", "attachments": [self.attachment_id]}
        if action == "void":
            return action, {"reason": "wrong patient"}
        return action, {"claim": self.fixed(), "note": "reliability run"}

    def matches(self, statuses: list[str]) -> bool:
        return re.fullmatch(self.plan.history, " ".join(statuses)) is not None


def mix(count: int) -> list[Case]:
    """``count`` claims, the paths in turn."""
    paths = list(Path)
    return [Case(n=n, path=paths[n % len(paths)]) for n in range(count)]
