"""Which reader a file needs: by the folder it lies in, then its magic bytes, then its extension.

The tables come from the readers' own declarations (see ``registry.py``).
"""

from pathlib import Path

from sessions_lib.errors import ReaderError
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.registry import READERS, READERS_BY_FORMAT

# Leading bytes of each format that has them, and the extensions each format's files end with.
MAGIC: dict[bytes, str] = {reader.magic: reader.format for reader in READERS if reader.magic}
EXTENSIONS: dict[str, str] = {
    extension: reader.format for reader in READERS for extension in reader.extensions
}
_MAGIC_LENGTH = max(len(magic) for magic in MAGIC)
_FOLDER_READERS = tuple(reader for reader in READERS if reader.reads == "folder")


def reader_for(path: Path) -> Reader:
    """The reader of ``path``: a format known by the folder it lies in (a LeRobot data file below
    ``meta/info.json``), else the format :func:`detect_format` finds."""
    for reader in _FOLDER_READERS:
        if reader.in_folder is not None and reader.in_folder(path):
            return reader
    return READERS_BY_FORMAT[detect_format(path)]


def detect_format(path: Path) -> str:
    """The format name of ``path``, e.g. ``"mcap"``; ``ReaderError`` if neither bytes nor name tell."""
    try:
        with path.open("rb") as file:
            head = file.read(_MAGIC_LENGTH)
    except OSError as error:
        raise ReaderError(f"{path}: cannot be opened: {error.strerror or error}") from None
    for magic, format_name in MAGIC.items():
        if head.startswith(magic):
            return format_name
    by_extension = EXTENSIONS.get(path.suffix.lower())
    if by_extension is not None:
        return by_extension
    if not head:
        raise ReaderError(f"{path}: empty file (0 bytes) of no known format")
    raise ReaderError(
        f"{path}: unknown format: no known magic bytes (starts with {head[:8]!r}) "
        f"and extension {path.suffix or '(none)'!r} is not one of {sorted(EXTENSIONS)}"
    )
