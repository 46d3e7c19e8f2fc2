"""``Dataset``: a collection of files, and the ``create_session`` shortcut that infers devices."""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sessions_lib.api.base import CatalogObject
from sessions_lib.api.file import File
from sessions_lib.api.registration import register_dataset, register_file
from sessions_lib.api.session import Session
from sessions_lib.catalog import Tx
from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.patterns import FileFilter
from sessions_lib.model.records import DatasetRecord, FileRecord, RecordedTopic, SessionFile, SessionRecord
from sessions_lib.model.requests import SessionAttributes
from sessions_lib.model.validation import unique_ids, validate_name
from sessions_lib.store import datasets
from sessions_lib.store import sessions as store


class Dataset(CatalogObject[DatasetRecord]):
    """A named collection of recordings, usually one folder.

    >>> dataset = Dataset.create("field-test", root_path="/data/field-test")  # doctest: +SKIP
    >>> session = dataset.create_session("day-1", include_patterns=["*.mcap"])  # doctest: +SKIP
    """

    kind = "dataset"
    record_type = DatasetRecord
    repr_fields = ("dataset_id", "name", "org_id")

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
        return cls._load(dataset_id, owner_org_id, roboto_client)

    @classmethod
    def for_org(
        cls, org_id: str | None = None, roboto_client: Client | None = None
    ) -> Generator[Dataset, None, None]:
        """Iterate the org's datasets by id."""
        return cls._all_of_org(org_id, roboto_client)

    # -- properties -----------------------------------------------------------------------

    @property
    def dataset_id(self) -> str:
        return self._record.dataset_id

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
            datasets.load_dataset(tx, org_id, self.dataset_id)
            return datasets.dataset_files_page(tx, org_id, self.dataset_id, after[0], limit)

        records = self._pages(fetch_page, lambda r: (r.relative_path,), first=("",))
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
        attributes = SessionAttributes.given(description, tags, metadata)
        explicit_devices = None if device_ids is None else unique_ids("device", device_ids)
        selection = FileFilter(include_patterns, exclude_patterns)
        org_id = self._org
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> SessionRecord:
            datasets.load_dataset(tx, org_id, self.dataset_id)
            files = selection.select(datasets.dataset_files(tx, org_id, self.dataset_id))
            if not files:
                raise InvalidRequestError(
                    f"no file of dataset {self.dataset_id!r} matches include_patterns={include_patterns!r} "
                    f"and exclude_patterns={exclude_patterns!r}; no session was created"
                )
            devices = explicit_devices
            if devices is None:
                devices = sorted({f.device_id for f in files if f.device_id is not None})
            record = store.new_session(org_id, name, now, user, attributes)
            contributions = [SessionFile(f.file_id) for f in files]
            return store.create_session(tx, record, devices, contributions, now, user)

        return Session(self._client.catalog.transaction(work), self._client)
