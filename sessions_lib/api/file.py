"""``File``: a registered recording of a dataset, with its topics and their extents."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from datetime import datetime
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one
from sessions_lib.catalog.paging import paginate
from sessions_lib.client import Client, resolve_client
from sessions_lib.model.records import FileRecord, FileTopicRecord

# One row per topic (or topic slice) of the file, its extents gathered in start order.
FILE_TOPICS_PAGE = """
SELECT
    t.topic_id, t.org_id, t.name, tp.topic_part_id, tp.schema_name, tp.schema_encoding, tp.message_count,
    tp.partition_key, tp.row_start, tp.row_end, coalesce(tp.row_start, -1) AS slice_order,
    list(struct_pack(
        timeline_extent_id := te.timeline_extent_id, org_id := te.org_id,
        topic_part_id := te.topic_part_id, timeline_source := te.timeline_source,
        min_timestamp := te.min_timestamp, max_timestamp := te.max_timestamp,
        unix_epoch_offset_ns := te.unix_epoch_offset_ns
    ) ORDER BY te.min_timestamp, te.max_timestamp) FILTER (WHERE te.timeline_extent_id IS NOT NULL) AS extents
FROM topic_partitions AS tp
JOIN topics AS t ON t.org_id = tp.org_id AND t.topic_id = tp.topic_id
LEFT JOIN timeline_extents AS te ON te.org_id = tp.org_id AND te.topic_part_id = tp.topic_part_id
WHERE tp.org_id = $org_id AND tp.file_id = $file_id
  AND (t.name, t.topic_id, coalesce(tp.row_start, -1), tp.topic_part_id) > ($after_name, $after_topic_id,
       $after_slice, $after_part)
GROUP BY ALL
ORDER BY t.name, t.topic_id, slice_order, tp.topic_part_id
LIMIT $limit
"""


class File:
    """A recording registered in a dataset (see ``Dataset.register_file``).

    Pass it wherever a file id is accepted: ``session.add_file(file)``.
    """

    def __init__(self, record: FileRecord, roboto_client: Client | None = None) -> None:
        self._record = record
        self._client = resolve_client(roboto_client)

    @classmethod
    def from_id(
        cls, file_id: str, owner_org_id: str | None = None, roboto_client: Client | None = None
    ) -> File:
        """Load a file by id; unknown ids and other orgs' files are not found."""
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(owner_org_id, "owner_org_id")
        return cls(client.catalog.read(lambda tx: load_file(tx, org_id, file_id)), client)

    @property
    def record(self) -> FileRecord:
        return self._record

    @property
    def file_id(self) -> str:
        return self._record.file_id

    @property
    def org_id(self) -> str:
        return self._record.org_id

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
        org_id = self._client.resolve_org(self.org_id, "owner_org_id")

        def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[FileTopicRecord]:
            load_file(tx, org_id, self.file_id)
            return tx.records(
                FileTopicRecord,
                FILE_TOPICS_PAGE,
                org_id=org_id,
                file_id=self.file_id,
                after_name=after[0],
                after_topic_id=after[1],
                after_slice=after[2],
                after_part=after[3],
                limit=limit,
            )

        def key(t: FileTopicRecord) -> tuple[Any, ...]:
            return (t.name, t.topic_id, -1 if t.row_start is None else t.row_start, t.topic_part_id)

        return paginate(self._client, fetch_page, key, first=("", "", -2, ""))

    def __repr__(self) -> str:
        return f"File(file_id={self.file_id!r}, relative_path={self.relative_path!r}, org_id={self.org_id!r})"


def load_file(tx: Tx, org_id: str, file_id: str) -> FileRecord:
    return load_one(tx, FileRecord, "file", org_id, file_id)
