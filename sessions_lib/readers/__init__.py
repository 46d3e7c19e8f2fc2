"""Readers: recordings to topics and timeline extents, one module per format.

Each reader module exposes ``read(path) -> Recording`` and raises only ``ReaderError`` for a file
it cannot read; :func:`read_recording` picks the module by the file's magic bytes, then its
extension. Readers never touch the catalog.
"""

from importlib import import_module
from pathlib import Path

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import Recording
from sessions_lib.readers import lerobot
from sessions_lib.readers.detect import detect_format
from sessions_lib.readers.tabular import TabularOptions

# format name -> reader module (imported on first use)
READER_MODULES: dict[str, str] = {
    "mcap": "sessions_lib.readers.mcap",
    "rosbag1": "sessions_lib.readers.rosbag1",
    "rosbag2": "sessions_lib.readers.rosbag2",
    "ulog": "sessions_lib.readers.ulog",
    "parquet": "sessions_lib.readers.tabular",
    "csv": "sessions_lib.readers.tabular",
    "lerobot": "sessions_lib.readers.lerobot",
}


def read_recording(path: Path, tabular: TabularOptions | None = None) -> Recording:
    """Read any supported recording; ``ReaderError`` names the file and what was wrong.

    A data file of a LeRobot dataset is recognised by where it lies (below ``meta/info.json``).
    """
    format_name = "lerobot" if lerobot.is_data_file(path) else detect_format(path)
    reader = import_module(READER_MODULES[format_name])
    if format_name in ("parquet", "csv"):
        return reader.read(path, tabular)
    try:
        return reader.read(path)
    except ReaderError:
        raise
    except Exception as error:  # a reader bug must not stop an ingestion run: record it
        raise ReaderError(f"{path}: {format_name} reader failed: {type(error).__name__}: {error}") from error


__all__ = ["ReaderError", "Recording", "TabularOptions", "detect_format", "read_recording"]
