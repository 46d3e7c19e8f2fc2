"""Nanosecond timestamps: the unit constants, and the two ways a time is shown.

Every time in the catalog is int64 nanoseconds; "wall clock" is Unix-epoch ns. ``format_ns`` is for
people (to the millisecond), ``iso_ns`` for machines (exact to the nanosecond, e.g. in JSON).

An *unanchored* time (a boot-relative ULog without GPS, LeRobot episode time, a simulator's clock)
counts from the recording's own zero, not from 1970: shown with ``anchored=False`` it is a relative
time ``t+HH:MM:SS`` (``t+2d03:04:05`` past a day, ``t-...`` before zero), never a 1970 date.

>>> format_ns(1_776_902_400_000_000_001)
'2026-04-23T00:00:00.000Z'
>>> iso_ns(1_776_902_400_000_000_001)
'2026-04-23T00:00:00.000000001Z'
>>> format_ns(191_000_000_001, anchored=False)
't+00:03:11.000'
>>> iso_ns(191_000_000_001, anchored=False)
't+00:03:11.000000001'
>>> format_ns(-1_500_000_000, anchored=False), format_ns(184_645_000_000_000, anchored=False)
('t-00:00:01.500', 't+2d03:17:25.000')
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from sessions_lib.errors import InvalidRequestError

NS_PER_US = 1_000
NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000
S_PER_DAY = 86_400

# The units a reader (or a ``sessions ingest`` option) may name for numeric timestamps.
TimeUnit = Literal["s", "ms", "us", "ns"]
NS_PER_UNIT: dict[str, int] = {"s": NS_PER_S, "ms": NS_PER_MS, "us": NS_PER_US, "ns": 1}

UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_datetime(timestamp_ns: int) -> datetime:
    """The UTC moment of Unix-epoch nanoseconds (to the microsecond, as ``datetime`` holds)."""
    return UNIX_EPOCH + timedelta(microseconds=timestamp_ns // NS_PER_US)


def format_ns(timestamp_ns: int | None, anchored: bool = True) -> str:
    """Nanoseconds for people, to the millisecond (``-`` for none): an ISO UTC time when anchored,
    else the relative time ``t+HH:MM:SS.mmm``."""
    if timestamp_ns is None:
        return "-"
    if not anchored:
        return relative_time(timestamp_ns, digits=3)
    moment = UNIX_EPOCH + timedelta(milliseconds=timestamp_ns // NS_PER_MS)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_ns(timestamp_ns: int | None, anchored: bool = True) -> str | None:
    """Nanoseconds exactly (``None`` for none): an ISO-8601 UTC string when anchored, else the
    relative time ``t+HH:MM:SS.fffffffff``."""
    if timestamp_ns is None:
        return None
    if not anchored:
        return relative_time(timestamp_ns, digits=9)
    seconds, fraction_ns = divmod(timestamp_ns, NS_PER_S)
    moment = UNIX_EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction_ns:09d}Z"


def relative_time(timestamp_ns: int, digits: int = 3) -> str:
    """Nanoseconds from a recording's own zero as ``t+HH:MM:SS`` with ``digits`` (0 to 9) of the
    second, truncated toward zero; a day count before the hours from 24 h on (``t+2d03:04:05``),
    ``t-`` before zero.

    >>> relative_time(3_723_400_000_000, digits=0), relative_time(-86_400 * NS_PER_S, digits=1)
    ('t+01:02:03', 't-1d00:00:00.0')
    """
    if not 0 <= digits <= 9:
        raise InvalidRequestError(
            f"digits of a relative time must be 0 to 9 (to the nanosecond), got {digits}"
        )
    sign = "-" if timestamp_ns < 0 else "+"
    seconds, fraction_ns = divmod(abs(timestamp_ns), NS_PER_S)
    days, seconds = divmod(seconds, S_PER_DAY)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"t{sign}{f'{days}d' if days else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return text + (f".{fraction_ns:09d}"[: digits + 1] if digits else "")
