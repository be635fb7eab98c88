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
    ZERO,
    Activity,
    Book,
    EntryKind,
    LedgerEntry,
    PatientKind,
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
    # Handed over kind by kind, so the patient's deductible, coinsurance ... net to what the
    # later payer leaves, not only their sum.
    for kind in PatientKind:
        standing = sum(
            (e.amount for e in entries if e.kind is EntryKind.PATIENT and e.patient_kind is kind),
            ZERO,
        )
        book.add(EntryKind.PATIENT, Activity.COB_TRANSFER, -standing, patient_kind=kind,
                 remittance_id=rem.remittance_id)  # fmt: skip
    untyped = sum(
        (e.amount for e in entries if e.kind is EntryKind.PATIENT and e.patient_kind is None),
        ZERO,
    )
    book.add(EntryKind.PATIENT, Activity.COB_TRANSFER, -untyped, remittance_id=rem.remittance_id)
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
