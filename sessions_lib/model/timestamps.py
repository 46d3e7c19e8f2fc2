"""Nanosecond timestamps: the unit constants, and the two ways a time is shown.

Every time in the catalog is int64 nanoseconds; "wall clock" is Unix-epoch ns. ``format_ns`` is for
people (to the millisecond), ``iso_ns`` for machines (exact to the nanosecond, e.g. in JSON).

>>> format_ns(1_776_902_400_000_000_001)
'2026-04-23T00:00:00.000Z'
>>> iso_ns(1_776_902_400_000_000_001)
'2026-04-23T00:00:00.000000001Z'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000

# The units a reader (or a ``sessions ingest`` option) may name for numeric timestamps.
TimeUnit = Literal["s", "ms", "us", "ns"]
NS_PER_UNIT: dict[str, int] = {"s": NS_PER_S, "ms": NS_PER_MS, "us": NS_PER_US, "ns": 1}

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_datetime(timestamp_ns: int) -> datetime:
    """The UTC moment of Unix-epoch nanoseconds (to the microsecond, as ``datetime`` holds)."""
    return UNIX_EPOCH + timedelta(microseconds=timestamp_ns // NS_PER_US)


def format_ns(timestamp_ns: int | None) -> str:
    """Unix-epoch nanoseconds as an ISO UTC time to the millisecond (``-`` for none)."""
    if timestamp_ns is None:
        return "-"
    moment = UNIX_EPOCH + timedelta(milliseconds=timestamp_ns // NS_PER_MS)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_ns(timestamp_ns: int | None) -> str | None:
    """Unix-epoch nanoseconds as an exact ISO-8601 UTC string (``None`` for none)."""
    if timestamp_ns is None:
        return None
    seconds, fraction_ns = divmod(timestamp_ns, NS_PER_S)
    moment = UNIX_EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction_ns:09d}Z"
