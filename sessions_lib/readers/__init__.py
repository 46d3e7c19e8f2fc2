"""Readers: recordings to topics and timeline extents, one module per format.

Each reader module exposes ``read(path: Path) -> Recording`` and raises only
``sessions_lib.errors.ReaderError`` for a file it cannot read. Readers never touch the catalog.
"""

from sessions_lib.readers.recording import ActivityInterval, Recording

__all__ = ["ActivityInterval", "Recording"]
