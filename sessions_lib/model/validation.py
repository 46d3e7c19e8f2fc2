"""The rules a value must follow before it is written: text, ids, names, windows, tags, JSON.

Each refuses a bad value with ``InvalidRequestError`` naming the field, the value and the rule;
none touches the catalog, so a refused request has written nothing. The request types
(``model.requests``) and the records callers build (``model.records``) call these when they are
built, so every public input is checked once, before any transaction.
"""

from __future__ import annotations

import json
import math
import numbers
import reprlib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sessions_lib.errors import InvalidRequestError

MAX_NAME_LENGTH = 120
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Wall-clock times beyond ±2**62 ns (the years 1823..2116) are refused, so that a time plus a
# session gap cannot overflow int64.
TIME_LIMIT_NS = 2**62

_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 80


def shown(value: Any) -> str:
    """A value as a message shows it: its repr, cut short when long."""
    return _shown.repr(value)


def storable_text(what: str, value: Any) -> str:
    """A string the catalog can store and find again: no NUL character (DuckLake's statements
    break on one) and valid Unicode (no lone surrogate, which UTF-8 cannot encode)."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{what} must be a string, got {shown(value)} ({type(value).__name__})")
    if "\x00" in value:
        raise InvalidRequestError(f"{what} must not contain a NUL character, got {shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequestError(
            f"{what} must be valid Unicode text (no lone surrogate), got {shown(value)}"
        ) from None
    return value


def validate_id(field: str, value: Any) -> str:
    """An id (``device_id``, ``file_id``, ...): a non-empty storable string."""
    storable_text(field, value)
    if not value:
        raise InvalidRequestError(f"{field} must be a non-empty string, got ''")
    return str(value)


def optional_id(field: str, value: Any) -> str | None:
    """An id that may be left out (``None``)."""
    return None if value is None else validate_id(field, value)


def as_sequence(what: str, value: Any, of: str) -> tuple[Any, ...]:
    """A list (or tuple) of ``of`` as a tuple; a lone string (which would be split into
    characters), a mapping or a non-sequence is refused."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise InvalidRequestError(
            f"{what} must be a list of {of}, got {shown(value)} ({type(value).__name__})"
        )
    return tuple(value)


def text_sequence(what: str, values: Any) -> tuple[str, ...]:
    """A list of non-empty storable strings (tags, notes)."""
    texts = as_sequence(what, values, "strings")
    for index, text in enumerate(texts):
        storable_text(f"{what}[{index}]", text)
        if not text:
            raise InvalidRequestError(f"{what}[{index}] must be a non-empty string, got ''")
    return texts


def validate_name(kind: str, name: Any, *, required: bool = False) -> None:
    """Refuse a name that is not a non-blank storable string of at most 120 characters."""
    if name is None:
        if required:
            raise InvalidRequestError(f"{kind} name is required")
        return
    storable_text(f"{kind} name", name)
    if not name.strip():
        raise InvalidRequestError(f"{kind} name must not be empty or blank, got {name!r}")
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


def validate_int64(what: str, value: Any, *, minimum: int = INT64_MIN) -> int:
    """An integer from ``minimum`` to the int64 maximum, as a Python ``int``: checked before any
    conversion, so a value too large is refused rather than overflowing on its way to the catalog."""
    if not is_int64(value) or int(value) < minimum:
        rule = "an int64 integer" if minimum == INT64_MIN else f"an int64 integer of at least {minimum}"
        raise InvalidRequestError(f"{what} must be {rule}, got {shown(value)} ({type(value).__name__})")
    return int(value)


def validate_window(what: str, min_ns: int | None, max_ns: int | None) -> None:
    """A closed window: both bounds or neither, integers, and ``min <= max``."""
    if (min_ns is None) != (max_ns is None):
        raise InvalidRequestError(
            f"{what}: range_min_timestamp_ns and range_max_timestamp_ns must be given together "
            f"(got min={shown(min_ns)}, max={shown(max_ns)})"
        )
    if min_ns is None or max_ns is None:
        return
    for bound in (min_ns, max_ns):
        if not is_int64(bound):
            raise InvalidRequestError(f"{what}: range bounds must be int64 nanoseconds, got {shown(bound)}")
    if min_ns > max_ns:
        raise InvalidRequestError(
            f"{what}: range_min_timestamp_ns ({min_ns}) is after range_max_timestamp_ns ({max_ns})"
        )


def validate_tags(tags: Any) -> tuple[str, ...]:
    """Tags are a list of non-empty strings (a lone string is refused, not split)."""
    return text_sequence("tags", tags)


def validate_description(description: Any) -> None:
    if description is not None:
        storable_text("description", description)


def validate_optional_text(what: str, **values: Any) -> None:
    """Each value is a storable string or ``None``."""
    for name, value in values.items():
        if value is not None:
            storable_text(f"{what}: {name}", value)


def json_object_text(what: str, value: Any) -> str | None:
    """A JSON object as stored text (``None`` for none). Refused: anything but a mapping, keys
    that are not strings (JSON would turn ``1`` into ``"1"``), numbers that are not finite (NaN
    and infinity are not JSON), values JSON cannot hold, and strings the catalog cannot store."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidRequestError(
            f"{what} must be a JSON object (a mapping), got {shown(value)} ({type(value).__name__})"
        )
    try:
        _check_json(what, dict(value), (), set())
    except RecursionError:
        raise InvalidRequestError(f"{what} is nested too deeply to be stored as JSON") from None
    return json.dumps(dict(value), sort_keys=True, allow_nan=False)


def _check_json(what: str, value: Any, path: tuple[Any, ...], open_containers: set[int]) -> None:
    """Refuse what JSON cannot hold as given, naming where in ``value`` it is."""
    where = what + "".join(f"[{key!r}]" for key in path)
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequestError(f"{where} is {value!r}: JSON numbers must be finite")
        return
    if isinstance(value, str):
        storable_text(where, value)
        return
    if not isinstance(value, dict | list | tuple):
        raise InvalidRequestError(
            f"{where} is {shown(value)} ({type(value).__name__}), not JSON-serializable: JSON holds "
            "only objects, lists, strings, numbers, booleans and null"
        )
    if id(value) in open_containers:
        raise InvalidRequestError(f"{where} contains itself: JSON cannot hold a cycle")
    open_containers.add(id(value))
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(value, dict):
            if not isinstance(key, str):
                raise InvalidRequestError(
                    f"{where} has the key {shown(key)} ({type(key).__name__}): JSON object keys "
                    "must be strings"
                )
            storable_text(f"{where} key", key)
        _check_json(what, item, (*path, key), open_containers)
    open_containers.discard(id(value))


def text_mapping(what: str, value: Any) -> dict[str, str]:
    """A mapping of non-empty storable strings to storable strings (a file's identifiers)."""
    if not isinstance(value, Mapping):
        raise InvalidRequestError(
            f"{what} must be a mapping of strings to strings, got {shown(value)} ({type(value).__name__})"
        )
    for key, item in value.items():
        validate_id(f"{what} key", key)
        storable_text(f"{what}[{key!r}]", item)
    return dict(value)


def as_file_id(file: Any) -> str:
    """A raw file id, or the ``file_id`` of a file object (``File``, ``FileRecord``)."""
    if isinstance(file, str):
        return validate_id("file_id", file)
    file_id = getattr(file, "file_id", None)
    if isinstance(file_id, str):
        return file_id
    raise InvalidRequestError(f"expected a file id or a File, got {shown(file)} ({type(file).__name__})")


def unique_ids(kind: str, ids: Any) -> list[str]:
    """The ids in order, refusing a lone string (not split into characters), a non-string id and an
    id given twice in one request."""
    given = as_sequence(f"{kind} ids", ids, "ids")
    for one in given:
        validate_id(f"{kind}_id", one)
    repeated = sorted(i for i, count in Counter(given).items() if count > 1)
    if repeated:
        raise InvalidRequestError(f"{kind} id(s) {repeated} given more than once in one request")
    return list(given)


def stored_text(text: str) -> str:
    """``text`` as the catalog stores it: valid UTF-8, so DuckDB can hold it.

    Python reads a file name that is not UTF-8 with each undecodable byte as a lone surrogate
    (``os.fsdecode``); such a name is stored with those bytes written as ``\\xNN`` (``bad\\xff.mcap``)
    and a note, and its ``uri`` percent-encodes the exact bytes (``bad%FF.mcap``), from which the file
    opens again (``urllib.parse.unquote_to_bytes``). Registering beats failing the file: it is a
    readable recording, and a failure would be stored under the same escaped path anyway. Every
    other name (newlines and control characters included) is valid text and stored exactly.

    >>> stored_text(os.fsdecode(b"bad\\xff.mcap"))
    'bad\\\\xff.mcap'
    """
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
