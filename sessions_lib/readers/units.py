"""Time units: every reader stores nanoseconds, and converts from its format's unit with these."""

from typing import Literal

from sessions_lib.model.timestamps import NS_PER_MS, NS_PER_S, NS_PER_US

__all__ = ["NS_PER_MS", "NS_PER_S", "NS_PER_UNIT", "NS_PER_US", "TimeUnit"]

TimeUnit = Literal["s", "ms", "us", "ns"]
NS_PER_UNIT: dict[str, int] = {"s": NS_PER_S, "ms": NS_PER_MS, "us": NS_PER_US, "ns": 1}
