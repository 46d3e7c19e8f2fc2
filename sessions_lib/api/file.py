"""``File``: a registered recording of a dataset, with its topics and their extents."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from datetime import datetime
from typing import Any

from sessions_lib.api.base import CatalogObject
from sessions_lib.client import Client
from sessions_lib.model.records import FileRecord, FileTopicRecord
from sessions_lib.store import files


class File(CatalogObject[FileRecord]):
    """A recording registered in a dataset (see ``Dataset.register_file``).

    Pass it wherever a file id is accepted: ``session.add_file(file)``.
    """

    kind = "file"
    record_type = FileRecord
    repr_fields = ("file_id", "relative_path", "org_id")

    @classmethod
    def from_id(
        cls, file_id: str, owner_org_id: str | None = None, roboto_client: Client | None = None
    ) -> File:
        """Load a file by id; unknown ids and other orgs' files are not found."""
        return cls._load(file_id, owner_org_id, roboto_client)

    @property
    def file_id(self) -> str:
        return self._record.file_id

    @property
    def dataset_id(self) -> str:
        return self._record.dataset_id

    @property
    def relative_path(self) -> str:
        return self._record.relative_path

    @property
    def uri(self) -> str | None:
        return self._record.uri

    @property
    def size_bytes(self) -> int | None:
        return self._record.size_bytes

    @property
    def format(self) -> str | None:
        return self._record.format

    @property
    def content_hash(self) -> str | None:
        return self._record.content_hash

    @property
    def device_id(self) -> str | None:
        return self._record.device_id

    @property
    def ingest_status(self) -> str:
        return self._record.ingest_status

    @property
    def ingest_error(self) -> str | None:
        return self._record.ingest_error

    @property
    def read_method(self) -> str | None:
        """How its spans were read: ``summary``/``index``/``metadata`` (the file's own), or ``scan``."""
        return self._record.read_method

    @property
    def anchored(self) -> bool | None:
        """Whether its timestamps are Unix-epoch (or were anchored to it, e.g. by GPS time)."""
        return self._record.anchored

    @property
    def notes(self) -> tuple[str, ...]:
        return self._record.notes

    @property
    def identifiers(self) -> Mapping[str, str]:
        return self._record.identifiers

    @property
    def created(self) -> datetime:
        return self._record.created

    @property
    def modified(self) -> datetime:
        return self._record.modified

    def list_topics(self) -> Generator[FileTopicRecord, None, None]:
        """Iterate the file's topics by name (slices of one topic by row), each with its extents
        (``wall_spans`` in wall clock)."""
        org_id = self._org

        def key(t: FileTopicRecord) -> tuple[Any, ...]:
            return (t.name, t.topic_id, -1 if t.row_start is None else t.row_start, t.topic_part_id)

        return self._pages(
            lambda tx, after, limit: files.file_topics_page(tx, org_id, self.file_id, after, limit),
            key,
            first=("", "", -2, ""),
        )
