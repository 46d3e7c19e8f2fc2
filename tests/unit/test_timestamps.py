"""Times shown for people and machines: wall clock as ISO UTC, unanchored clocks as ``t+...``.

The oracle for relative times is a parser written here from the format's description (sign, an
optional day count, hours, minutes, seconds, a fraction): every exact string reads back to its ns.
"""

from __future__ import annotations

import doctest
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions_lib.errors import InvalidRequestError
from sessions_lib.model import timestamps
from sessions_lib.model.timestamps import NS_PER_MS, NS_PER_S, format_ns, iso_ns, relative_time

RELATIVE = re.compile(
    r"t(?P<sign>[+-])(?:(?P<days>[1-9]\d*)d)?(?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)(?:\.(?P<f>\d+))?"
)
INT64 = st.integers(-(2**63), 2**63 - 1)


def parse_relative(text: str) -> int:
    """ns of a relative time string (the fraction read as a decimal fraction of a second)."""
    match = RELATIVE.fullmatch(text)
    assert match, f"{text!r} is not a relative time"
    h, m, s = int(match["h"]), int(match["m"]), int(match["s"])
    assert h < 24 and m < 60 and s < 60
    fraction = match["f"] or ""
    ns = ((int(match["days"] or 0) * 24 + h) * 60 + m) * 60 * NS_PER_S + s * NS_PER_S
    ns += int(fraction.ljust(9, "0")) if fraction else 0
    return -ns if match["sign"] == "-" else ns


def test_the_module_examples():
    assert doctest.testmod(timestamps).failed == 0


def test_examples_of_each_form():
    assert format_ns(191 * NS_PER_S, anchored=False) == "t+00:03:11.000"
    assert iso_ns(191 * NS_PER_S + 1, anchored=False) == "t+00:03:11.000000001"
    assert format_ns(((2 * 24 + 3) * 3600 + 4 * 60 + 5) * NS_PER_S, anchored=False) == "t+2d03:04:05.000"
    assert format_ns(24 * 3600 * NS_PER_S - 1, anchored=False) == "t+23:59:59.999"  # a day less 1 ns
    assert format_ns(-1_500 * NS_PER_MS, anchored=False) == "t-00:00:01.500"
    assert format_ns(None, anchored=False) == "-" and iso_ns(None, anchored=False) is None
    # anchored: what it always was
    assert format_ns(191 * NS_PER_S) == "1970-01-01T00:03:11.000Z"
    assert iso_ns(1_776_902_400 * NS_PER_S, anchored=True) == "2026-04-23T00:00:00.000000000Z"
    with pytest.raises(InvalidRequestError, match="got 10"):
        relative_time(0, digits=10)


@given(INT64)
def test_the_exact_relative_form_reads_back_to_its_ns(ns: int):
    assert parse_relative(iso_ns(ns, anchored=False)) == ns


@given(INT64)
def test_the_millisecond_form_is_the_exact_one_truncated_toward_zero(ns: int):
    shown = format_ns(ns, anchored=False)
    truncated = abs(ns) // NS_PER_MS * NS_PER_MS * (-1 if ns < 0 else 1)
    assert parse_relative(shown) == truncated
    assert shown == iso_ns(ns, anchored=False)[: len(shown)]  # the same digits, fewer of them
    assert "1970" not in shown


@given(st.integers(0, 4_000_000_000 * NS_PER_S))
def test_anchored_forms_are_utc_instants(ns: int):
    exact = iso_ns(ns)
    moment = datetime.strptime(exact[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    assert int(moment.timestamp()) * NS_PER_S + int(exact[20:29]) == ns
    assert format_ns(ns) == exact[:23] + "Z"
