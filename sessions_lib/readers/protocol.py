"""The Reader protocol: what each format's module declares, and the one signature of ``read``.

A reader turns one file into a ``Recording`` (topics, spans, identifiers, notes) and never touches
the catalog. For a file it cannot read it raises ``ReaderError`` naming the file and the cause; a
damaged file it can partly read yields what is readable, with a note saying what was left out.
Each format's module declares itself with a :class:`Reader`, for example::

    READER = Reader("mcap", read, magic=MAGIC, extensions=(".mcap",))
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sessions_lib.model.records import Recording
from sessions_lib.readers.messages import MessagesFunction
from sessions_lib.readers.options import ReadOptions

ReadFunction = Callable[[Path, ReadOptions], Recording]


@dataclass(frozen=True, slots=True)
class Reader:
    """One format's declaration: its name, how its files are recognised, and how one is read.

    A file is of this format when ``in_folder(path)`` says so (a format known by the folder its
    files lie in; tried first), else when it starts with ``magic``, else when its suffix is one of
    ``extensions`` (lower case, with the dot).
    """

    format: str  # as ``Recording.format`` names it: "mcap", "rosbag1", ...
    read: ReadFunction
    magic: bytes | None = None
    extensions: tuple[str, ...] = ()
    in_folder: Callable[[Path], bool] | None = None
    # Decodes one topic's messages in a window (messages.py); None: the format's data is not read.
    messages: MessagesFunction | None = None

    @property
    def reads(self) -> Literal["file", "folder"]:
        """``"file"`` if a file is known by its own bytes or name, ``"folder"`` if by where it lies."""
        return "file" if self.in_folder is None else "folder"
