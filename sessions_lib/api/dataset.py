"""``Dataset``: a collection of files, and the ``create_session`` shortcut that infers devices."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pathspec

from sessions_lib.api.file import File
from sessions_lib.api.session import Session
from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import iterate_by_id, load_one
from sessions_lib.catalog.paging import paginate
from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.records import (
    DatasetRecord,
    FileRecord,
    RecordedTopic,
    SessionAttributes,
    SessionFile,
    SessionRecord,
    unique_ids,
    validate_name,
)
from sessions_lib.store import sessions as store
from sessions_lib.store.registry import register_dataset, register_file

FILES_PAGE = """
SELECT * FROM files
WHERE org_id = $org_id AND dataset_id = $dataset_id AND relative_path > $after
ORDER BY relative_path
LIMIT $limit
"""


class FileFilter:
    """Gitignore-style include and exclude patterns over a file's relative path.

    ``include_patterns=None`` includes every file (an empty list, none); ``!pattern`` negates within
    a list, and the last matching pattern decides, as in ``.gitignore``. Exclusion wins.

    >>> FileFilter(["*.mcap", "!scratch/"], ["**/tmp-*"]).matches("flights/a.mcap")
    True
    """

    def __init__(
        self, include_patterns: Sequence[str] | None, exclude_patterns: Sequence[str] | None
    ) -> None:
        self.include = _spec("include_patterns", include_patterns)
        self.exclude = _spec("exclude_patterns", exclude_patterns)

    def matches(self, relative_path: str) -> bool:
        included = self.include is None or self.include.match_file(relative_path)
        return included and not (self.exclude is not None and self.exclude.match_file(relative_path))

    def select(self, files: Iterable[FileRecord]) -> list[FileRecord]:
        return [f for f in files if self.matches(f.relative_path)]


def _spec(argument: str, patterns: Sequence[str] | None) -> pathspec.GitIgnoreSpec | None:
    if patterns is None:
        return None
    if isinstance(patterns, str) or not all(isinstance(p, str) for p in patterns):
        raise InvalidRequestError(f"{argument} must be a list of gitignore-style patterns, got {patterns!r}")
    return pathspec.GitIgnoreSpec.from_lines(patterns)


class Dataset:
    """A named collection of recordings, usually one folder.

    >>> dataset = Dataset.create("field-test", root_path="/data/field-test")  # doctest: +SKIP
    >>> session = dataset.create_session("day-1", include_patterns=["*.mcap"])  # doctest: +SKIP
    """

    def __init__(self, record: DatasetRecord, roboto_client: Client | None = None) -> None:
        self._record = record
        self._client = resolve_client(roboto_client)

    @classmethod
    def create(
        cls,
        name: str,
        *,
        root_path: str | None = None,
        dataset_id: str | None = None,
        caller_org_id: str | None = None,
        roboto_client: Client | None = None,
    ) -> Dataset:
        """Register a dataset; a given ``dataset_id`` must be new in the org."""
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(caller_org_id, "caller_org_id")
        record = register_dataset(
            name, root_path=root_path, dataset_id=dataset_id, org_id=org_id, roboto_client=client
        )
        return cls(record, client)

    @classmethod
    def from_id(
        cls, dataset_id: str, owner_org_id: str | None = None, roboto_client: Client | None = None
    ) -> Dataset:
        """Load a dataset by id; unknown ids and other orgs' datasets are not found."""
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(owner_org_id, "owner_org_id")
        return cls(client.catalog.read(lambda tx: load_dataset(tx, org_id, dataset_id)), client)

    @classmethod
    def for_org(
        cls, org_id: str | None = None, roboto_client: Client | None = None
    ) -> Generator[Dataset, None, None]:
        """Iterate the org's datasets by id."""
        client = resolve_client(roboto_client)
        org = client.resolve_org(org_id, "org_id")

        records = iterate_by_id(client, DatasetRecord, "dataset", org)
        return (cls(record, client) for record in records)

    # -- properties -----------------------------------------------------------------------

    @property
    def record(self) -> DatasetRecord:
        return self._record

    @property
    def dataset_id(self) -> str:
        return self._record.dataset_id

    @property
    def org_id(self) -> str:
        return self._record.org_id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def root_path(self) -> str | None:
        return self._record.root_path

    @property
    def created(self) -> datetime:
        return self._record.created

    # -- files ----------------------------------------------------------------------------

    def register_file(
        self, relative_path: str, topics: Sequence[RecordedTopic] = (), **file_fields: Any
    ) -> File:
        """Register one file of this dataset with its topics' extents (see ``register_file``)."""
        record = register_file(
            self.dataset_id,
            relative_path,
            topics,
            org_id=self._org,
            roboto_client=self._client,
            **file_fields,
        )
        return File(record, self._client)

    def list_files(
        self,
        include_patterns: Sequence[str] | None = None,
        exclude_patterns: Sequence[str] | None = None,
    ) -> Generator[File, None, None]:
        """Iterate the dataset's files by relative path, filtered by gitignore-style patterns."""
        selection = FileFilter(include_patterns, exclude_patterns)
        org_id = self._org

        def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[FileRecord]:
            load_dataset(tx, org_id, self.dataset_id)
            return tx.records(
                FileRecord, FILES_PAGE, org_id=org_id, dataset_id=self.dataset_id, after=after[0], limit=limit
            )

        records = paginate(self._client, fetch_page, lambda r: (r.relative_path,), first=("",))
        return (File(record, self._client) for record in records if selection.matches(record.relative_path))

    def create_session(
        self,
        name: str | None = None,
        *,
        device_ids: Sequence[str] | None = None,
        include_patterns: Sequence[str] | None = None,
        exclude_patterns: Sequence[str] | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
    ) -> Session:
        """A session of this dataset's matching files, each a whole-file contribution.

        Without ``device_ids`` the devices those files belong to are attached. Patterns that
        match no file are refused (``InvalidRequestError``) rather than making an empty session.
        Everything is written in one transaction.
        """
        validate_name("session", name)
        attributes = SessionAttributes(description, tags, metadata)
        explicit_devices = None if device_ids is None else unique_ids("device", device_ids)
        selection = FileFilter(include_patterns, exclude_patterns)
        org_id = self._org
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> SessionRecord:
            load_dataset(tx, org_id, self.dataset_id)
            files = selection.select(
                tx.records(
                    FileRecord,
                    "SELECT * FROM files WHERE org_id = $org_id AND dataset_id = $dataset_id "
                    "ORDER BY relative_path",
                    org_id=org_id,
                    dataset_id=self.dataset_id,
                )
            )
            if not files:
                raise InvalidRequestError(
                    f"no file of dataset {self.dataset_id!r} matches include_patterns={include_patterns!r} "
                    f"and exclude_patterns={exclude_patterns!r}; no session was created"
                )
            devices = explicit_devices
            if devices is None:
                devices = sorted({f.device_id for f in files if f.device_id is not None})
            record = store.new_session(org_id, name, now, user, attributes)
            store.insert_session(tx, record)
            store.attach_devices(tx, org_id, record.session_id, devices, now, user)
            store.put_contributions(
                tx, org_id, record.session_id, [SessionFile(f.file_id) for f in files], now, user
            )
            return store.save_session(tx, record, {}, recompute_bounds=True)

        return Session(self._client.catalog.transaction(work), self._client)

    @property
    def _org(self) -> str:
        return self._client.resolve_org(self._record.org_id, "owner_org_id")

    def __repr__(self) -> str:
        return f"Dataset(dataset_id={self.dataset_id!r}, name={self.name!r}, org_id={self.org_id!r})"


def load_dataset(tx: Tx, org_id: str, dataset_id: str) -> DatasetRecord:
    return load_one(tx, DatasetRecord, "dataset", org_id, dataset_id)
