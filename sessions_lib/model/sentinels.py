"""``NotSet``: "leave this field as it is", distinct from ``None`` ("clear it")."""

from enum import Enum
from typing import Final, Literal


class NotSetType(Enum):
    """Type of the :data:`NotSet` sentinel (an enum, so it pickles and compares by identity)."""

    NotSet = "NotSet"

    def __repr__(self) -> str:
        return "NotSet"

    def __bool__(self) -> Literal[False]:
        return False


NotSet: Final = NotSetType.NotSet
