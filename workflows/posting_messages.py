"""PostingWorkflow's input and result.

They live outside ``workflows/posting.py`` because the workflow sandbox re-imports a
workflow's module for every run: a pydantic model defined there would have its schema
built again for every file posted. Imported through the sandbox, they are built once.
"""

from __future__ import annotations

from pydantic import BaseModel

from claims.payer_messages import PayerMessage
from events.contract import Actor


class PostingInput(BaseModel):
    # The unit's id (``services.inbound_store``).
    file_id: str
    # Postings started before files were taken by reference carry their messages inline.
    messages: list[PayerMessage] | None = None
    pages: int = 0
    # Carried across continue-as-new.
    next_page: int = 0
    delivered: int = 0
    unmatched_count: int = 0
    # Who uploaded the file (set by the API from the credential; None: the inbound folder).
    actor: Actor | None = None


class PostingResult(BaseModel):
    file_id: str
    delivered: int
    unmatched: list[str] = []
    unmatched_count: int = 0
