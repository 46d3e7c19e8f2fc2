"""Time units: every reader stores nanoseconds, and converts from its format's unit with these."""

from typing import Literal

NS_PER_S = 1_000_000_000
NS_PER_MS = 1_000_000
NS_PER_US = 1_000

TimeUnit = Literal["s", "ms", "us", "ns"]
NS_PER_UNIT: dict[str, int] = {"s": NS_PER_S, "ms": NS_PER_MS, "us": NS_PER_US, "ns": 1}
