"""What a reader returns: ``Recording`` and ``ActivityInterval``, defined in ``sessions_lib.records``."""

from sessions_lib.records import ActivityInterval, IndexUsed, Recording

__all__ = ["ActivityInterval", "IndexUsed", "Recording"]
