"""ULog message formats: the byte layout of each logged struct, from its 'F' definition.

A format body is ``"type field;type[n] field;..."``; nested types are other formats' names, flattened
into sizes. :func:`gather` reads one basic-typed field at many message offsets at once.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import numpy as np

_MAX_NESTING = 16

# ULog basic types: struct code (little-endian) and size in bytes.
BASIC_TYPES: dict[str, tuple[str, int]] = {
    name: (code, struct.calcsize("<" + code))
    for name, code in (
        ("int8_t", "b"), ("uint8_t", "B"), ("int16_t", "h"), ("uint16_t", "H"),
        ("int32_t", "i"), ("uint32_t", "I"), ("int64_t", "q"), ("uint64_t", "Q"),
        ("float", "f"), ("double", "d"), ("bool", "?"), ("char", "c"),
    )
}  # fmt: skip
_NUMPY_TYPES: dict[str, np.dtype] = {
    "uint8_t": np.dtype(np.uint8),
    "int8_t": np.dtype(np.int8),
    "bool": np.dtype(np.uint8),
    "uint64_t": np.dtype("<u8"),
}

_FORMAT_FIELD = re.compile(r"([^ ;\[\]]+)(?:\[(\d{1,6})\])? ([^ ;]+);")
_FORMAT_BODY = re.compile(r"(?:[^ ;\[\]]+(?:\[\d{1,6}\])? [^ ;]+;)*")


@dataclass(frozen=True, slots=True)
class Layout:
    """Byte layout of one message format, nested types flattened into sizes."""

    size: int  # with trailing padding
    min_size: int  # without the trailing top-level ``_padding`` fields (what PX4 writes)
    # top-level field name -> (offset, type name, array size; 0 for a scalar)
    offsets: dict[str, tuple[int, str, int]]

    def scalar(self, name: str, type_names: tuple[str, ...]) -> tuple[int, str] | None:
        """Offset and type of scalar field ``name`` if it has one of ``type_names``."""
        offset, type_name, array_size = self.offsets.get(name, (0, "", 1))
        return (offset, type_name) if type_name in type_names and array_size == 0 else None


def layout_of(name: str, formats: dict[str, str], cache: dict, depth: int = 0) -> Layout | None:
    """The layout of format ``name``, or ``None`` if it (or a nested type) is undefined or malformed.

    A format body is ``"type field;type[n] field;..."``; nested types are other formats' names.
    """
    if name in cache:
        return cache[name]
    cache[name] = None  # until proven sound; also stops a format that contains itself
    body = _format_body(name, formats, depth)
    if body is None:
        return None
    offsets: dict[str, tuple[int, str, int]] = {}
    offset = trailing = 0
    for type_name, count, field_name in _FORMAT_FIELD.findall(body):
        array_size = int(count) if count else 0
        basic = BASIC_TYPES.get(type_name)
        nested = None if basic else layout_of(type_name, formats, cache, depth + 1)
        if basic is None and nested is None:
            return None
        size = (basic[1] if basic else nested.size) * max(array_size, 1)  # type: ignore[union-attr]
        offsets.setdefault(field_name, (offset, type_name, array_size))
        offset += size
        trailing = trailing + size if field_name.startswith("_padding") else 0
        if offset > 0xFFFF:  # larger than any message can be
            return None
    cache[name] = layout = Layout(offset, offset - trailing, offsets)
    return layout


def _format_body(name: str, formats: dict[str, str], depth: int) -> str | None:
    """Format ``name``'s body ending in ``;``, or None: undefined, nested too deep, or malformed."""
    body = formats.get(name)
    if body is None or depth > _MAX_NESTING:
        return None
    if body and not body.endswith(";"):
        body += ";"
    return body if _FORMAT_BODY.fullmatch(body) else None


# ULog basic types as numpy types; ``char[n]`` is text, read as ``S<n>``.
_RECORD_TYPES = {
    "int8_t": "<i1", "uint8_t": "<u1", "int16_t": "<i2", "uint16_t": "<u2", "int32_t": "<i4",
    "uint32_t": "<u4", "int64_t": "<i8", "uint64_t": "<u8", "float": "<f4", "double": "<f8",
    "bool": "?", "char": "S1",
}  # fmt: skip


def record_dtype(name: str, formats: dict[str, str], depth: int = 0) -> np.dtype | None:
    """A numpy structured dtype decoding one data message of format ``name`` (after its msg_id):
    every field at its offset, nested formats as nested records, ``type[n]`` as subarrays and
    ``char[n]`` as ``S<n>``; ``_padding`` fields are left out. ``None`` when undefined or malformed,
    as for :func:`layout_of`."""
    body = _format_body(name, formats, depth)
    if body is None:
        return None
    names: list[str] = []
    types: list[np.dtype] = []
    offsets: list[int] = []
    offset = 0
    for type_name, count, field_name in _FORMAT_FIELD.findall(body):
        array_size = int(count) if count else 0
        if type_name == "char" and array_size:
            dtype = np.dtype(f"S{array_size}")
        else:
            basic = _RECORD_TYPES.get(type_name)
            element = np.dtype(basic) if basic else record_dtype(type_name, formats, depth + 1)
            if element is None:
                return None
            dtype = np.dtype((element, (array_size,))) if array_size else element
        if not field_name.startswith("_padding") and field_name not in names:
            names.append(field_name)
            types.append(dtype)
            offsets.append(offset)
        offset += dtype.itemsize
    return np.dtype({"names": names, "formats": types, "offsets": offsets, "itemsize": offset})


def gather(data: np.ndarray, starts: np.ndarray, type_name: str) -> np.ndarray:
    """The little-endian value of a basic type at each of ``starts`` (any alignment)."""
    dtype = _NUMPY_TYPES[type_name]
    if dtype.itemsize == 1:
        return data[starts].view(dtype)
    if starts.size == 0:
        return np.zeros(0, dtype)
    # A view with a one-byte stride: element i is the value starting at byte i.
    every_offset = np.ndarray((data.size - dtype.itemsize + 1,), dtype, buffer=data, strides=(1,))
    return every_offset[starts]
