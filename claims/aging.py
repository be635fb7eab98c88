"""A/R aging: how long billed money has been waiting, in the buckets billing teams report.

A claim ages from the day it was first submitted to the payer (billed): before that it is
work in progress, not receivables. Buckets are by whole days: 0-30, 31-60, 61-90, 91-120
and over 120.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bucket:
    name: str
    low: int  # days, inclusive
    high: int | None  # days, inclusive; None = no upper bound


BUCKETS: tuple[Bucket, ...] = (
    Bucket("0-30", 0, 30),
    Bucket("31-60", 31, 60),
    Bucket("61-90", 61, 90),
    Bucket("91-120", 91, 120),
    Bucket("120+", 121, None),
)
BUCKET_NAMES: tuple[str, ...] = tuple(b.name for b in BUCKETS)


def bucket_of(days: int) -> Bucket:
    for bucket in BUCKETS:
        if bucket.high is None or days <= bucket.high:
            return bucket
    raise AssertionError("the last bucket is open-ended")


def by_name(name: str) -> Bucket:
    for bucket in BUCKETS:
        if bucket.name == name:
            return bucket
    raise KeyError(f"no aging bucket {name!r}; buckets: {', '.join(BUCKET_NAMES)}")


def billed_on_range(bucket: Bucket, today: dt.date) -> tuple[dt.date | None, dt.date]:
    """The billing days (first, last; first None = no limit) whose claims fall in ``bucket``."""
    last = today - dt.timedelta(days=bucket.low)
    first = None if bucket.high is None else today - dt.timedelta(days=bucket.high)
    return first, last


def days_in_ar(outstanding: Decimal, billed_last_90_days: Decimal) -> Decimal | None:
    """Days in A/R: receivables divided by the average day's billing over the last 90 days."""
    if billed_last_90_days <= 0:
        return None
    return (outstanding / (billed_last_90_days / 90)).quantize(Decimal("0.1"))


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction, or None when there is nothing to divide by."""
    return part / whole if whole else None
