"""Readers: recordings to topics and timeline extents, one module per format.

Each format's module declares a :class:`Reader` (its format name, magic bytes, extensions and
``read(path, options)``) and raises only ``ReaderError`` for a file it cannot read.
:func:`read_recording` picks the reader by where the file lies, its magic bytes, then its
extension (``detect.py``, built from ``registry.py``). Readers never touch the catalog.
"""

from pathlib import Path

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import Recording
from sessions_lib.readers.detect import detect_format, reader_for
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions, TabularOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.registry import READERS, READERS_BY_FORMAT


def read_recording(path: Path, tabular: TabularOptions | None = None) -> Recording:
    """Read any supported recording; ``ReaderError`` names the file and what was wrong.

    A data file of a LeRobot dataset is recognised by where it lies (below ``meta/info.json``).
    """
    reader = reader_for(path)
    options = DEFAULT_OPTIONS if tabular is None else ReadOptions(tabular=tabular)
    try:
        return reader.read(path, options)
    except ReaderError:
        raise
    except Exception as error:  # a reader bug must not stop an ingestion run: record it
        raise ReaderError(
            f"{path}: {reader.format} reader failed: {type(error).__name__}: {error}"
        ) from error


__all__ = [
    "DEFAULT_OPTIONS",
    "READERS",
    "READERS_BY_FORMAT",
    "ReadOptions",
    "Reader",
    "ReaderError",
    "Recording",
    "TabularOptions",
    "detect_format",
    "read_recording",
    "reader_for",
]
