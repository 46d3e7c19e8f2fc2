"""Which reader a file needs: by its magic bytes first, by its extension second."""

from pathlib import Path

from sessions_lib.errors import ReaderError

# Leading bytes of each format that has them.
MAGIC: dict[bytes, str] = {
    b"\x89MCAP0\r\n": "mcap",
    b"#ROSBAG V2.0\n": "rosbag1",
    b"SQLite format 3\x00": "rosbag2",
    b"ULog\x01\x12\x35": "ulog",
    b"PAR1": "parquet",
}
EXTENSIONS: dict[str, str] = {
    ".mcap": "mcap",
    ".bag": "rosbag1",
    ".db3": "rosbag2",
    ".ulg": "ulog",
    ".parquet": "parquet",
    ".csv": "csv",
}
_MAGIC_LENGTH = max(len(magic) for magic in MAGIC)


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
