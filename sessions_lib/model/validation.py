"""The rules a value must follow before it is written: names, windows, tags, JSON, ids.

Each refuses a bad value with ``InvalidRequestError`` naming the value and the rule; none touches
the catalog, so a refused request has written nothing.
"""

from __future__ import annotations

import json
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sessions_lib.errors import InvalidRequestError

MAX_NAME_LENGTH = 120
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Wall-clock times beyond ±2**62 ns (the years 1823..2116) are refused, so that a time plus a
# session gap cannot overflow int64.
TIME_LIMIT_NS = 2**62


def validate_name(kind: str, name: str | None, *, required: bool = False) -> None:
    """Refuse a name that is not a non-empty string of at most 120 characters."""
    if name is None:
        if required:
            raise InvalidRequestError(f"{kind} name is required")
        return
    if not isinstance(name, str):
        raise InvalidRequestError(f"{kind} name must be a string, got {type(name).__name__}")
    if not name.strip():
        raise InvalidRequestError(f"{kind} name must not be empty or blank")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequestError(
            f"{kind} name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}: {name[:40]!r}..."
        )


def is_int64(value: Any) -> bool:
    """An integer (Python or NumPy, not a ``bool``) that fits in int64 nanoseconds."""
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and INT64_MIN <= int(value) <= INT64_MAX
    )


def validate_window(what: str, min_ns: int | None, max_ns: int | None) -> None:
    """A closed window: both bounds or neither, integers, and ``min <= max``."""
    if (min_ns is None) != (max_ns is None):
        raise InvalidRequestError(
            f"{what}: range_min_timestamp_ns and range_max_timestamp_ns must be given together "
            f"(got min={min_ns}, max={max_ns})"
        )
    if min_ns is None or max_ns is None:
        return
    for bound in (min_ns, max_ns):
        if not is_int64(bound):
            raise InvalidRequestError(f"{what}: range bounds must be int64 nanoseconds, got {bound!r}")
    if min_ns > max_ns:
        raise InvalidRequestError(
            f"{what}: range_min_timestamp_ns ({min_ns}) is after range_max_timestamp_ns ({max_ns})"
        )


def validate_tags(tags: Any) -> tuple[str, ...]:
    """Tags are a sequence of non-empty strings (a lone string is refused, not split)."""
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise InvalidRequestError(f"tags must be a list of strings, got {tags!r}")
    for tag in tags:
        if not isinstance(tag, str) or not tag:
            raise InvalidRequestError(f"every tag must be a non-empty string, got {tag!r}")
    return tuple(tags)


def validate_description(description: Any) -> None:
    if description is not None and not isinstance(description, str):
        raise InvalidRequestError(f"description must be a string, got {type(description).__name__}")


def json_object_text(what: str, value: Mapping[str, Any] | None) -> str | None:
    """A JSON object as stored text; refuses anything but a JSON-serializable mapping."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{what} must be a JSON object (a mapping), got {value!r}")
    try:
        return json.dumps(dict(value), sort_keys=True)
    except (TypeError, ValueError) as error:
        raise InvalidRequestError(f"{what} is not JSON-serializable: {error}") from None


def validate_optional_text(what: str, **values: Any) -> None:
    """Each value is a string or ``None``."""
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InvalidRequestError(f"{what}: {name} must be a string, got {type(value).__name__}")


def as_file_id(file: Any) -> str:
    """A raw file id, or the ``file_id`` of a file object (``File``, ``FileRecord``)."""
    if isinstance(file, str):
        return file
    file_id = getattr(file, "file_id", None)
    if isinstance(file_id, str):
        return file_id
    raise InvalidRequestError(f"expected a file id or a File, got {type(file).__name__}")


def unique_ids(kind: str, ids: Sequence[str]) -> list[str]:
    """The ids in order, refusing a lone string (not split into characters), a non-string id and an
    id given twice in one request."""
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise InvalidRequestError(f"{kind} ids must be a list of ids, got {ids!r}")
    for one in ids:
        if not isinstance(one, str) or not one:
            raise InvalidRequestError(f"{kind} id must be a non-empty string, got {one!r}")
    repeated = sorted(i for i, count in Counter(ids).items() if count > 1)
    if repeated:
        raise InvalidRequestError(f"{kind} id(s) {repeated} given more than once in one request")
    return list(ids)
