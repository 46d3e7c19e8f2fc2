"""``Session``: an operational time window of one or more devices, made of file contributions.

Implements the documented session API method for method (the session API reference). Each call is
one catalog transaction scoped to the session's org, of a few statements (``store.sessions`` says
how); every add or remove recomputes the stored bounds in that same transaction, with the rules of
``sessions_lib.queries``, and a call that changes nothing writes nothing.

>>> session = Session.create(name="flight-2026-04-23-001", device_ids=["dv_abc"])  # doctest: +SKIP
>>> session = session.add_file("fl_0123456789abcdef")  # doctest: +SKIP
>>> [topic.name for topic in session.list_topics()]  # doctest: +SKIP
['/camera', '/imu']
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sessions_lib.api.base import CatalogObject
from sessions_lib.api.topic import SessionTopic
from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import require_all
from sessions_lib.catalog.paging import paginate
from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import InvalidRequestError, NotFoundError
from sessions_lib.model.records import SessionFile, SessionRecord, TopicIdentityRecord
from sessions_lib.model.requests import SessionAttributes, SessionChanges
from sessions_lib.model.sentinels import NotSet, NotSetType
from sessions_lib.model.validation import as_file_id, as_sequence, unique_ids, validate_id, validate_name
from sessions_lib.store import sessions as store

if TYPE_CHECKING:
    import os

    from sessions_lib.api.export import ExportReport

_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


class Session(CatalogObject[SessionRecord]):
    """An operational time window of a device: a flight, a drive, a test run.

    Holds the latest :class:`SessionRecord`; methods that change the session return ``self``
    carrying the record (and bounds) as committed.
    """

    kind = "session"
    record_type = SessionRecord
    repr_fields = ("session_id", "name", "org_id", "min_timestamp_ns", "max_timestamp_ns")

    # -- creating and loading -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str | None = None,
        device_ids: Sequence[str] = (),
        caller_org_id: str | None = None,
        roboto_client: Client | None = None,
        *,
        description: str | None = None,
        tags: Sequence[str] | None = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> Session:
        """Create a session in the caller's org, attached to ``device_ids`` (all must exist).

        ``description``, ``tags`` and ``metadata`` (a JSON object) are optional extras.

        >>> Session.create(name="flight-2026-04-23-001", device_ids=["dv_a", "dv_b"])  # doctest: +SKIP
        """
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(caller_org_id)
        validate_name("session", name)
        attributes = SessionAttributes.given(description, tags, metadata)
        device_ids = unique_ids("device", device_ids)
        now = client.now()
        record = store.new_session(org_id, name, now, client.user, attributes)
        stored = client.catalog.transaction(
            lambda tx: store.create_session(tx, record, device_ids, (), now, client.user)
        )
        return cls(stored, client)

    @classmethod
    def from_id(
        cls,
        session_id: str,
        owner_org_id: str | None = None,
        roboto_client: Client | None = None,
    ) -> Session:
        """Load a session by id; unknown ids and other orgs' sessions are not found."""
        return cls._load(session_id, owner_org_id, roboto_client)

    @classmethod
    def for_dataset(
        cls,
        dataset_id: str,
        owner_org_id: str | None = None,
        roboto_client: Client | None = None,
    ) -> Generator[Session, None, None]:
        """Iterate sessions holding any file of the dataset (an unknown dataset is not found)."""
        validate_id("dataset_id", dataset_id)
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(owner_org_id, "owner_org_id")
        client.catalog.read(lambda tx: require_all(tx, "dataset", org_id, [dataset_id]))
        return sessions_of(client, org_id, dataset_id=dataset_id)

    @classmethod
    def for_org(
        cls, org_id: str | None = None, roboto_client: Client | None = None
    ) -> Generator[Session, None, None]:
        """Iterate every session of the caller's org, oldest first."""
        client = resolve_client(roboto_client)
        return sessions_of(client, client.resolve_org(org_id, "org_id"))

    # -- properties -----------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return self._record.session_id

    @property
    def name(self) -> str | None:
        return self._record.name

    @property
    def created(self) -> datetime | None:
        return self._record.created

    @property
    def created_by(self) -> str:
        return self._record.created_by

    @property
    def modified(self) -> datetime | None:
        return self._record.modified

    @property
    def modified_by(self) -> str:
        return self._record.modified_by

    @property
    def min_timestamp_ns(self) -> int | None:
        """Lower bound over the contribution windows, Unix-epoch ns; ``None`` with none."""
        return self._record.min_timestamp_ns

    @property
    def max_timestamp_ns(self) -> int | None:
        """Upper bound over the contribution windows, Unix-epoch ns; ``None`` with none."""
        return self._record.max_timestamp_ns

    @property
    def description(self) -> str | None:
        return self._record.description

    @property
    def tags(self) -> tuple[str, ...]:
        return self._record.tags

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self._record.metadata

    # -- contributions --------------------------------------------------------------------

    def add_file(
        self,
        file: Any,
        range_min_timestamp_ns: int | None = None,
        range_max_timestamp_ns: int | None = None,
    ) -> Session:
        """Include one file (a ``File`` or a raw id), whole or narrowed to a closed sub-window."""
        if isinstance(file, SessionFile):
            raise InvalidRequestError(
                "add_file takes a File or a file id, with optional range bounds; "
                "pass SessionFile entries to add_files"
            )
        return self.add_files([SessionFile(as_file_id(file), range_min_timestamp_ns, range_max_timestamp_ns)])

    def add_files(self, files: Sequence[SessionFile]) -> Session:
        """Include files as contributions; a file already held gets its range replaced.

        All files must exist in the session's org and appear once in the call; otherwise nothing
        is written. Bounds are recomputed in the same transaction. A call that changes nothing
        (every file held already, with the range asked for) writes nothing.
        """
        files = session_files(files)
        org_id, now, user = self._org, self._client.now(), self._client.user
        return self._change(lambda tx: store.put_contributions(tx, org_id, self.session_id, files, now, user))

    def remove_file(self, file: Any) -> Session:
        """Remove one file's contribution (a ``File`` or a raw id)."""
        return self.remove_files([as_file_id(file)])

    def remove_files(self, file_ids: Sequence[str]) -> Session:
        """Remove the files' contributions and recompute bounds.

        Files unknown to the org are refused (nothing written); known files the session does not
        hold are ignored, so a repeated removal is harmless.
        """
        file_ids = unique_ids("file", file_ids)
        org_id = self._org
        return self._change(lambda tx: store.remove_contributions(tx, org_id, self.session_id, file_ids))

    def list_files(self) -> Generator[SessionFile, None, None]:
        """Iterate this session's contributions, by file id, each with its optional range."""
        org_id = self._org
        return self._pages(
            lambda tx, after, limit: store.contributions_page(tx, org_id, self.session_id, after[0], limit),
            lambda f: (f.file_id,),
            first=("",),
        )

    def list_topics(self) -> Generator[TopicIdentityRecord, None, None]:
        """Iterate topics with an extent overlapping its file's contribution window.

        Deduplicated across files and partitions; ordered by ``name``, then ``topic_id``.
        """
        org_id = self._org
        return self._pages(
            lambda tx, after, limit: store.topics_page(tx, org_id, self.session_id, after, limit),
            lambda t: (t.name, t.topic_id),
            first=("", ""),
        )

    def export_mcap(
        self,
        path: str | os.PathLike[str],
        topics: Sequence[str] | None = None,
        with_latched: bool = False,
        progress: Callable[[float], None] | None = None,
    ) -> ExportReport:
        """Write the session's messages (of ``topics``; None: all) to one MCAP file (``api/export.py``)."""
        from sessions_lib.api.export import export_mcap

        return export_mcap(self, self._client, path, topics, with_latched, progress)

    def get_topic(self, name: str) -> SessionTopic:
        """The topic ``name`` of this session, whose ``get_data*`` methods read its messages from the
        session's files (see ``SessionTopic``). A name no file of the org has is not found; a topic
        of the org this session does not hold gives no rows."""
        if not isinstance(name, str) or not name:
            raise InvalidRequestError(f"a topic name must be a non-empty string, got {name!r}")
        org_id = self._org
        if not self._client.catalog.read(lambda tx: tx.exists("topics", org_id, name=name)):
            raise NotFoundError("topic", name, org_id)
        return SessionTopic(self.session_id, org_id, name, self._client)

    # -- devices --------------------------------------------------------------------------

    def attach_to_device(self, device_id: str) -> None:
        """Attach a device of the session's org as a subject (attaching twice changes nothing)."""
        validate_id("device_id", device_id)
        org_id, now, user = self._org, self._client.now(), self._client.user
        self._change(lambda tx: store.attach_device(tx, org_id, self.session_id, device_id, now, user))

    def detach_from_device(self, device_id: str) -> None:
        """Detach a device (an unknown device is refused; one not attached is ignored)."""
        validate_id("device_id", device_id)
        org_id = self._org
        self._change(lambda tx: store.detach_device(tx, org_id, self.session_id, device_id))

    def list_devices(self) -> Generator[str, None, None]:
        """Iterate the ids of the devices attached to this session, in id order."""
        org_id = self._org
        return self._pages(
            lambda tx, after, limit: store.devices_page(tx, org_id, self.session_id, after[0], limit),
            lambda d: (d,),
            first=("",),
        )

    # -- the session itself ---------------------------------------------------------------

    def update(
        self,
        name: str | NotSetType | None = NotSet,
        *,
        description: str | NotSetType | None = NotSet,
        tags: Sequence[str] | NotSetType | None = NotSet,
        metadata: Mapping[str, Any] | NotSetType | None = NotSet,
    ) -> Session:
        """Change mutable fields: ``NotSet`` leaves a field, ``None`` clears it, a value sets it.

        Returns this session, refreshed from the catalog.
        """
        changes = SessionChanges(name, description, tags, metadata).columns()
        return self._change(lambda tx: store.Change(columns=changes))

    def delete(self) -> None:
        """Delete the session with its contributions and device attachments, atomically."""
        org_id = self._org
        self._client.catalog.transaction(lambda tx: store.delete_session(tx, org_id, self.session_id))

    # -- internals ------------------------------------------------------------------------

    def _change(self, change: Callable[[Tx], store.Change]) -> Session:
        """In one transaction: apply ``change``, then write the session row if anything changed and
        keep it as read back (see ``store.finish_change``)."""
        org_id, now, user = self._org, self._client.now(), self._client.user

        def work(tx: Tx) -> SessionRecord:
            return store.finish_change(tx, org_id, self.session_id, change(tx), now, user)

        self._record = self._client.catalog.transaction(work)
        return self


def sessions_of(
    client: Client, org_id: str, *, dataset_id: str | None = None, device_id: str | None = None
) -> Generator[Session, None, None]:
    """Lazily iterate an org's sessions, oldest first, optionally of one dataset or device."""

    def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[SessionRecord]:
        return store.sessions_page(tx, org_id, after, limit, dataset_id=dataset_id, device_id=device_id)

    records = paginate(
        client.catalog, client.page_size, fetch_page, lambda r: (r.created, r.session_id), (_EARLIEST, "")
    )
    return (Session(record, client) for record in records)


def session_files(files: Any) -> list[SessionFile]:
    """The contributions a ``files`` argument asks for: a list of ``SessionFile`` entries, ``File``
    objects or file ids (a lone id is refused, not split into characters), each file once."""
    entries = as_sequence("files", files, "SessionFile entries, File objects or file ids")
    wanted = [as_session_file(f) for f in entries]
    unique_ids("file", [f.file_id for f in wanted])
    return wanted


def as_session_file(value: Any) -> SessionFile:
    """A ``SessionFile`` as given, or a whole-file contribution of a ``File`` or raw file id."""
    if isinstance(value, SessionFile):
        return value
    return SessionFile(as_file_id(value))
