"""Building outgoing 837Ps with persisted control numbers, and keeping a copy of every file.

The copies under ``<state>/x12/sent`` and ``<state>/x12/received`` are what a biller or an
EDI analyst opens when a payer says "we never got it": the exact bytes, named by control
number. They hold PHI, so they are encrypted with the data key ring (mode 0600);
``claimflow x12 show FILE`` decrypts one for a person allowed to see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from claims.eligibility import EligibilityRequest
from claims.model import Claim
from claims.x12.eligibility_270 import render_270
from claims.x12.envelope import Envelope
from claims.x12.render_837p import render_837p, transaction_claim_ids
from services import x12_store
from services.crypto.files import write_encrypted
from services.crypto.keyring import KeyRing
from services.settings import Settings


def new_envelope(settings: Settings, engine: Engine) -> Envelope:
    return Envelope(
        sender_id=settings.x12_sender_id,
        receiver_id=settings.x12_receiver_id,
        interchange_control_number=x12_store.next_number(engine, x12_store.INTERCHANGE),
        group_control_number=x12_store.next_number(engine, x12_store.GROUP),
        usage="P" if settings.x12_usage == "P" else "T",
        receiver_name=settings.x12_receiver_id,
    )


def build_837p(settings: Settings, engine: Engine, claims: Sequence[Claim]) -> tuple[str, int]:
    """The 837P text and its interchange control number. Each claim's patient control
    number (CLM01) and which claim went in which transaction set are recorded first, so no
    answer (999, 277CA, 835) can arrive before we can match it."""
    envelope = new_envelope(settings, engine)
    pcns = x12_store.assign_patient_control_numbers(
        engine, (c.claim_id for c in claims if c.claim_id)
    )
    x12_store.record_sent(
        engine,
        envelope.group_control_number,
        transaction_claim_ids(claims, envelope=envelope),
    )
    text = render_837p(claims, envelope=envelope, control_numbers=pcns.__getitem__)
    return text, envelope.interchange_control_number


def build_270(
    settings: Settings, engine: Engine, requests: Sequence[EligibilityRequest]
) -> tuple[str, int]:
    """The 270 text and its interchange control number, from the same counters as 837Ps
    (a payer's duplicate check sees one sender). A 271 is matched by its TRN, not by
    control numbers, so nothing else is recorded."""
    envelope = new_envelope(settings, engine)
    return render_270(requests, envelope=envelope), envelope.interchange_control_number


def keep_copy(settings: Settings, direction: str, name: str, data: str | bytes) -> Path:
    """Keep an encrypted copy (0600) of a file exchanged with a payer."""
    return write_encrypted(
        KeyRing.for_settings(settings), settings.x12_dir / direction / name, data
    )


class NoExchangeFolder(RuntimeError):
    """The ``file`` gateway or the inbox was started without ``x12_exchange_dir``."""


def exchange_dir(settings: Settings) -> Path:
    """The folder shared with a clearinghouse (``outbound/``, ``inbound/``).

    Files there are plain X12, because the clearinghouse's connection must read them and
    writes them plain: so it is a setting of its own, outside the state dir (where claimflow
    keeps only encrypted copies), on storage that connection owns and protects.
    """
    folder = settings.x12_exchange_dir
    if folder is None:
        raise NoExchangeFolder(
            "the file exchange needs CLAIMFLOW_X12_EXCHANGE_DIR: the folder shared with the "
            "clearinghouse (outbound/ and inbound/), outside the state dir"
        )
    if folder.resolve().is_relative_to(settings.state_dir.resolve()):
        raise NoExchangeFolder(
            f"CLAIMFLOW_X12_EXCHANGE_DIR={folder} is inside the state dir "
            f"{settings.state_dir}, which holds no plain PHI: choose a folder outside it"
        )
    return folder
