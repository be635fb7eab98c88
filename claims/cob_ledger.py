"""Coordination of benefits in a claim's ledger: the payers after the primary.

Kept apart from ``claims.ledger`` (the primary payer's decisions, reversals and
supersessions) because a later payer's decision follows different rules: it never
supersedes the primary's, it takes over the patient's share the primary left, and its
CARC 23 restates the primary's decision rather than adding to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from claims.ledger import (
    Activity,
    Book,
    EntryKind,
    LedgerEntry,
    PatientKind,
    balances,
    book_decision,
)
from claims.remittance import Remittance

# CARC 23: "the impact of prior payer(s) adjudication" - on a secondary's 835 it restates
# what the primary paid and reduced, which the primary's own entries already book.
PRIOR_PAYER_CARC = "23"


def secondary_entries(
    entries: Sequence[LedgerEntry], rem: Remittance, *, at: dt.datetime
) -> list[LedgerEntry]:
    """A later payer's decision (secondary, tertiary, crossover) on the same ledger.

    The patient's share standing (what the payers before left) is handed to this payer
    (``cob_transfer``); its payment and its own adjustments are booked on top, skipping
    CARC 23 (the prior payer's impact, booked already). So one claim's balance covers every
    payer and the patient: what the secondary leaves to the patient is the patient's
    balance, what it denies stays outstanding."""
    book = Book(entries, at)
    standing = balances(entries).patient_responsibility
    book.add(EntryKind.PATIENT, Activity.COB_TRANSFER, -standing,
             patient_kind=PatientKind.OTHER, remittance_id=rem.remittance_id)  # fmt: skip
    own = rem.model_copy(
        update={
            "adjustments": tuple(a for a in rem.adjustments if a.carc != PRIOR_PAYER_CARC),
            "claim_adjustments": tuple(
                a for a in rem.claim_adjustments if a.carc != PRIOR_PAYER_CARC
            ),
            "lines": tuple(
                line.model_copy(
                    update={
                        "adjustments": tuple(
                            a for a in line.adjustments if a.carc != PRIOR_PAYER_CARC
                        ),
                        "allowed": None,
                    }
                )
                for line in rem.lines
            ),
        }
    )
    book_decision(book, own, Activity.SECONDARY, None, allowed=False)
    return book.out
