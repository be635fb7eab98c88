"""The patient control number (837P CLM01): how a payer's answers find their claim.

The guide's note on CLM01: receivers need store and return only its first 20 characters.
A payer that keeps 20 returns a truncated CLP01 (835) and TRN02 (277CA), so CLM01 cannot
be claimflow's 26-character claim id. It is a 20-character number derived from the claim
id: the first 100 bits of SHA-256 of the id, in Crockford base 32 (digits and capitals,
no I, L, O or U: nothing a payer's system or a biller can misread).

Derived, not counted, so that a claim keeps its number across resubmissions and a render
without a database gives the same 837P; a hash, not the id's own characters, so that any
prefix a payer keeps is as unlikely to be shared as the whole (claim ids made in the same
millisecond share their first ten characters). It carries no PHI: the claim id is opaque.
The database mapping (``services.x12_store``) guarantees uniqueness: on the rare clash it
takes the next ``attempt``.
"""

from __future__ import annotations

import hashlib
import re

LENGTH = 20
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(rf"[{ALPHABET}]{{1,{LENGTH}}}")


def patient_control_number(claim_id: str, attempt: int = 0) -> str:
    """The CLM01 of ``claim_id``; ``attempt`` > 0 gives another one, for a clash."""
    seed = claim_id if attempt == 0 else f"{claim_id}#{attempt}"
    bits = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:13], "big") >> 4
    chars = []
    for _ in range(LENGTH):
        bits, digit = divmod(bits, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))
