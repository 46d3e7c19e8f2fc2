"""Time units: every reader stores nanoseconds, and converts from its format's unit with these.

They are defined in ``sessions_lib.model.timestamps``, which the CLI reads without loading readers.
"""

from sessions_lib.model.timestamps import NS_PER_MS, NS_PER_S, NS_PER_UNIT, NS_PER_US, TimeUnit

__all__ = ["NS_PER_MS", "NS_PER_S", "NS_PER_UNIT", "NS_PER_US", "TimeUnit"]
