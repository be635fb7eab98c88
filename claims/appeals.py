"""Whether a payer decision can be appealed, and until when.

Some adjustments are never worth appealing: patient responsibility (PR) is not the payer's
to overturn, a contractual write-down (CO-45) is the contract, and a timely-filing denial
(CO-29) or a duplicate (CO-18) is a fact an appeal cannot change. An appeal needs at least
one adjustment outside those.
"""

from __future__ import annotations

import datetime as dt

from claims.model import Payer
from claims.remittance import Remittance

# Beyond the patient's share and the contract (never denials): facts an appeal cannot change.
NOT_APPEALABLE_CARCS: frozenset[str] = frozenset({"29", "18"})


def appealable_reasons(remittance: Remittance) -> tuple[str, ...]:
    return tuple(
        reason
        for reason in remittance.denial_reasons
        if reason.split("-", 1)[1] not in NOT_APPEALABLE_CARCS
    )


def appeal_refusal(
    remittance: Remittance | None,
    *,
    level: int,
    payer: Payer,
    deadline: dt.datetime | None,
    now: dt.datetime,
) -> str | None:
    """Why appeal ``level`` cannot go out now, or None if it can."""
    if remittance is None:
        return "there is no payer decision to appeal"
    if level > payer.max_appeal_level:
        return f"{payer.name} allows {payer.max_appeal_level} appeal levels; this would be {level}"
    if deadline is not None and now >= deadline:
        return f"the appeal window closed at {deadline.isoformat()}"
    if not appealable_reasons(remittance):
        found = ", ".join(f"{a.group}-{a.carc}" for a in remittance.adjustments) or "none"
        return (
            f"nothing in the decision can be appealed (adjustments: {found}; PR, CO-45, "
            "CO-29 timely filing and CO-18 duplicate are not appealable)"
        )
    return None


def appeal_deadline(decided_at: dt.datetime, payer: Payer, level: int) -> dt.datetime:
    """The last moment to file appeal ``level``, counted from the decision being appealed."""
    return decided_at + dt.timedelta(days=payer.appeal_window(level))
