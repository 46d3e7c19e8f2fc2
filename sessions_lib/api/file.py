"""``File``: a registered recording of a dataset, with its topics and their extents."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from datetime import datetime
from typing import Any

from sessions_lib.api.base import CatalogObject
from sessions_lib.catalog import Tx
from sessions_lib.client import Client
from sessions_lib.model.records import FileRecord, FileTopicRecord
from sessions_lib.model.validation import validate_id, validate_int64
from sessions_lib.store import anchors, files


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
    def timeline_offset_ns(self) -> int | None:
        """The anchor a user gave the file (:meth:`set_timeline_offset`), or None."""
        return self._record.timeline_offset_ns

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

    # -- clocks ---------------------------------------------------------------------------

    def set_timeline_offset(self, unix_epoch_offset_ns: int, topic: str | None = None) -> File:
        """Anchor the file's clock to Unix time: ``unix_epoch_offset_ns`` is added to its times as
        its reader found them (for a boot-relative log, the Unix time of the boot).

        With ``topic``, only that topic's clock is corrected, on top of the file's anchor. A new
        anchor replaces the one set before. The file's extents, activity and the bounds of every
        session holding it move in the same transaction; sessions the pipeline infers follow on
        its next run (an anchored file is merged with other files again). The anchor outlives a
        new read of the file.
        """
        if topic is not None:
            validate_id("topic", topic)
        org_id = self._org
        now, user = self._client.now(), self._client.user
        self._record = self._client.catalog.transaction(
            lambda tx: anchors.set_timeline_offset(
                tx, org_id, self.file_id, unix_epoch_offset_ns, topic, now, user
            )
        )
        return self

    def set_start_time(self, start_ns: int) -> File:
        """Anchor the file so that its earliest time is ``start_ns`` (Unix-epoch ns): a start time
        known from elsewhere (a file name, a flight log book). See :meth:`set_timeline_offset`."""
        org_id = self._org
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> FileRecord:
            offset = start_ns - anchors.clock_start_ns(tx, org_id, self.file_id)
            return anchors.set_timeline_offset(tx, org_id, self.file_id, offset, None, now, user)

        validate_int64("start_ns", start_ns)
        self._record = self._client.catalog.transaction(work)
        return self
