"""Reading typed values out of elements, each failure naming its segment and element.

Money is X12 type R: an optional minus, digits, an optional decimal point. Python's
``Decimal`` also accepts "NaN", "Infinity" and exponents, none of which a payer may send,
so amounts are matched against the X12 grammar before conversion. Monetary amounts in the
HIPAA guides carry at most two decimals and at most ten integer digits; anything else is
refused here so that no later model (``Remittance``'s 12-digit amounts) can choke on it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from decimal import Decimal

from claims.x12.errors import Deviations
from claims.x12.parse import Segment

_MONEY = re.compile(r"-?(\d{1,10}(\.\d{0,2})?|\.\d{1,2})")
_QUANTITY = re.compile(r"-?(\d{1,15}(\.\d*)?|\.\d+)")
_DATE8 = re.compile(r"\d{8}")


def name(seg: Segment, n: int) -> str:
    return f"{seg.id}{n:02d}"


def required(seg: Segment, n: int, what: str) -> str:
    value = seg.get(n)
    if not value:
        raise seg.error(f"{name(seg, n)} ({what}) is required")
    return value


def optional(seg: Segment, n: int) -> str | None:
    return seg.get(n) or None


# Amounts repeat (copays, zero, common fees): a small cache skips the regex and the parse.
_AMOUNTS: dict[str, Decimal] = {}


def money(seg: Segment, n: int, what: str) -> Decimal:
    raw = seg.get(n)
    cached = _AMOUNTS.get(raw)
    if cached is not None:
        return cached
    if not raw:
        raise seg.error(f"{name(seg, n)} ({what}) is required")
    if len(raw) > 18 or not _MONEY.fullmatch(raw):
        raise seg.error(f"{name(seg, n)} ({what}) {raw[:20]!r} is not an amount")
    value = Decimal(raw)
    if len(_AMOUNTS) < 4096:
        _AMOUNTS[raw] = value
    return value


def optional_money(seg: Segment, n: int, what: str) -> Decimal | None:
    return money(seg, n, what) if seg.get(n) else None


def quantity(seg: Segment, n: int, what: str) -> Decimal | None:
    raw = seg.get(n)
    if not raw:
        return None
    if len(raw) > 18 or not _QUANTITY.fullmatch(raw):
        raise seg.error(f"{name(seg, n)} ({what}) {raw[:20]!r} is not a number")
    return Decimal(raw)


def date8(seg: Segment, n: int, what: str, raw: str | None = None) -> dt.date:
    """A CCYYMMDD date (from element ``n``, or ``raw`` when it came out of a range)."""
    value = required(seg, n, what) if raw is None else raw
    if _DATE8.fullmatch(value):
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise seg.error(f"{name(seg, n)} ({what}) {value[:20]!r} is not a CCYYMMDD date")


def optional_date8(seg: Segment, n: int, what: str) -> dt.date | None:
    return date8(seg, n, what) if seg.get(n) else None


def period(seg: Segment, fmt_n: int, n: int, what: str) -> tuple[dt.date, dt.date | None]:
    """A D8 date or an RD8 range (CCYYMMDD-CCYYMMDD) whose format is in element ``fmt_n``."""
    fmt = seg.get(fmt_n)
    if fmt == "D8":
        return date8(seg, n, what), None
    if fmt == "RD8":
        raw = required(seg, n, what)
        first, sep, last = raw.partition("-")
        if not sep:
            raise seg.error(f"{name(seg, n)} ({what}) {raw[:20]!r} is not an RD8 range")
        return date8(seg, n, what, first), date8(seg, n, what, last)
    raise seg.error(f"{name(seg, fmt_n)} date format {fmt[:10]!r} is not D8 or RD8")


def code(seg: Segment, n: int, allowed: Collection[str], what: str) -> str:
    value = required(seg, n, what)
    if value not in allowed:
        raise seg.error(
            f"{name(seg, n)} ({what}) {value[:20]!r} is not a known qualifier "
            f"(expected one of {', '.join(sorted(allowed))})"
        )
    return value


def lenient_code(seg: Segment, n: int, allowed: Collection[str], what: str, dev: Deviations) -> str:
    """A qualifier claimflow reads but does not act on: an unknown value is a deviation
    (noted in ``dev``) and is kept as sent. Only a missing one is refused."""
    value = required(seg, n, what)
    if value not in allowed:
        dev.note(seg.id, seg.position, f"{name(seg, n)} ({what}) {value[:20]!r} is not a known "
                 f"qualifier (expected one of {', '.join(sorted(allowed))})")  # fmt: skip
    return value


def lenient_date8(seg: Segment, n: int, what: str, dev: Deviations) -> dt.date | None:
    """A date claimflow can do without: missing or not a date is a deviation, read as None."""
    raw = seg.get(n)
    if not raw:
        dev.note(seg.id, seg.position, f"{name(seg, n)} ({what}) is missing")
        return None
    try:
        return date8(seg, n, what)
    except ValueError:
        dev.note(seg.id, seg.position, f"{name(seg, n)} ({what}) {raw[:20]!r} is not a "
                 "CCYYMMDD date: read as none")  # fmt: skip
        return None
