"""What a caller may tell a reader beyond the path, validated when it is built.

Every reader takes one :class:`ReadOptions` and uses only its own part (today only tables have one),
so every format's ``read`` has the same signature.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

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


DEFAULT_OPTIONS = ReadOptions()
