"""What a caller may tell a reader beyond the path, validated when it is built.

Every reader takes one :class:`ReadOptions` and uses only its own part (today only tables have one),
so every format's ``read`` has the same signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sessions_lib.errors import InvalidRequestError
from sessions_lib.readers.units import NS_PER_UNIT, TimeUnit


@dataclass(frozen=True, slots=True)
class TabularOptions:
    """How to read a table: its timestamp column and unit, and how columns map to topics.

    Without ``column_groups`` the whole file is one topic (``topic`` or the file's stem); with
    them, each group is a topic whose data is the rows where any of its columns is filled.
    """

    timestamp_column: str = "timestamp"
    timestamp_unit: TimeUnit = "ns"
    topic: str | None = None
    column_groups: Mapping[str, Sequence[str]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.timestamp_unit not in NS_PER_UNIT:
            raise InvalidRequestError(
                f"timestamp_unit {self.timestamp_unit!r} is not one of {sorted(NS_PER_UNIT)}"
            )


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """The options of every reader in one value; each format's reader reads its own part.

    >>> ReadOptions(tabular=TabularOptions(timestamp_column="t", timestamp_unit="ms")).tabular.timestamp_unit
    'ms'
    """

    tabular: TabularOptions = field(default_factory=TabularOptions)

    def as_json(self) -> dict[str, Any] | None:
        """The options as a JSON object to store on a file's row; ``None`` for the defaults."""
        if self == DEFAULT_OPTIONS:
            return None
        options = self.tabular
        groups = {topic: list(columns) for topic, columns in options.column_groups.items()}
        return {
            "tabular": {
                "timestamp_column": options.timestamp_column,
                "timestamp_unit": options.timestamp_unit,
                "topic": options.topic,
                "column_groups": groups,
            }
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any] | None) -> ReadOptions:
        """The options stored by :meth:`as_json` (``None``, or an empty object: the defaults)."""
        if not stored or "tabular" not in stored:
            return DEFAULT_OPTIONS
        return cls(tabular=TabularOptions(**stored["tabular"]))


DEFAULT_OPTIONS = ReadOptions()
