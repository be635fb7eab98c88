"""What the payer's codes mean: CARC and RARC descriptions, from the shipped code lists.

Billers read a denial by its codes (CO-197, N54); a screen that shows only the numbers makes
them look each one up. The lists live in ``claims/data/carc.csv`` and ``rarc.csv`` (source
and licence in ``claims/data/README.md``); a code not in them is shown without a description,
never refused: payers use new codes before our list knows them.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def _table(name: str) -> dict[str, str]:
    text = resources.files("claims.data").joinpath(name).read_text(encoding="utf-8")
    return {row["code"]: row["description"] for row in csv.DictReader(text.splitlines())}


def carc_description(code: str) -> str | None:
    """The description of a claim adjustment reason code ("197", or "CO-197")."""
    return _table("carc.csv").get(code.rsplit("-", 1)[-1].strip().upper())


def rarc_description(code: str) -> str | None:
    """The description of a remittance advice remark code ("N54")."""
    return _table("rarc.csv").get(code.strip().upper())


def carc_codes() -> tuple[str, ...]:
    return tuple(_table("carc.csv"))


def rarc_codes() -> tuple[str, ...]:
    return tuple(_table("rarc.csv"))
