"""``Session``: an operational time window of one or more devices, made of file contributions.

Implements the documented session API method for method (the session API reference). Each call is
one catalog transaction scoped to the session's org; every add or remove recomputes the stored
bounds in that same transaction, with the rules of ``sessions_lib.queries``.

>>> session = Session.create(name="flight-2026-04-23-001", device_ids=["dv_abc"])  # doctest: +SKIP
>>> session = session.add_file("fl_0123456789abcdef")  # doctest: +SKIP
>>> [topic.name for topic in session.list_topics()]  # doctest: +SKIP
['/camera', '/imu']
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import require_all
from sessions_lib.catalog.paging import paginate
from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import InvalidRequestError, NotFoundError
from sessions_lib.model.records import (
    SessionAttributes,
    SessionFile,
    SessionRecord,
    TopicIdentityRecord,
    as_file_id,
    json_object_text,
    unique_ids,
    validate_description,
    validate_name,
    validate_tags,
)
from sessions_lib.model.sentinels import NotSet, NotSetType
from sessions_lib.queries import ONE_SESSION, with_rules
from sessions_lib.store import sessions as store

_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)

SESSION_TOPICS_PAGE = (
    with_rules(ONE_SESSION)
    + """
SELECT topic_id, org_id, name FROM session_topics
WHERE (name, topic_id) > ($after_name, $after_topic_id)
ORDER BY name, topic_id
LIMIT $limit
"""
)
# Sessions of an org, oldest first; narrowed to those holding a file of a dataset, or attached to
# a device, when those parameters are not NULL.
SESSIONS_PAGE = """
SELECT * FROM sessions
WHERE org_id = $org_id AND (created, session_id) > ($after_created, $after_session_id)
  AND ($dataset_id IS NULL OR session_id IN (
        SELECT sf.session_id FROM session_files AS sf
        JOIN files AS f ON f.org_id = sf.org_id AND f.file_id = sf.file_id
        WHERE sf.org_id = $org_id AND f.dataset_id = $dataset_id))
  AND ($device_id IS NULL OR session_id IN (
        SELECT session_id FROM session_devices WHERE org_id = $org_id AND device_id = $device_id))
ORDER BY created, session_id
LIMIT $limit
"""


class Session:
    """An operational time window of a device: a flight, a drive, a test run.

    Holds the latest :class:`SessionRecord`; methods that change the session return ``self``
    carrying the record (and bounds) as committed.
    """

    def __init__(self, record: SessionRecord, roboto_client: Client | None = None) -> None:
        self._record = record
        self._client = resolve_client(roboto_client)

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
        attributes = SessionAttributes(description, tags, metadata)
        device_ids = unique_ids("device", device_ids)
        now = client.now()
        record = store.new_session(org_id, name, now, client.user, attributes)

        def work(tx: Tx) -> None:
            store.insert_session(tx, record)
            store.attach_devices(tx, org_id, record.session_id, device_ids, now, client.user)

        client.catalog.transaction(work)
        return cls(record, client)

    @classmethod
    def from_id(
        cls,
        session_id: str,
        owner_org_id: str | None = None,
        roboto_client: Client | None = None,
    ) -> Session:
        """Load a session by id; unknown ids and other orgs' sessions are not found."""
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(owner_org_id, "owner_org_id")
        return cls(client.catalog.read(lambda tx: store.load_session(tx, org_id, session_id)), client)

    @classmethod
    def for_dataset(
        cls,
        dataset_id: str,
        owner_org_id: str | None = None,
        roboto_client: Client | None = None,
    ) -> Generator[Session, None, None]:
        """Iterate sessions holding any file of the dataset (an unknown dataset is not found)."""
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
    def record(self) -> SessionRecord:
        return self._record

    @property
    def session_id(self) -> str:
        return self._record.session_id

    @property
    def name(self) -> str | None:
        return self._record.name

    @property
    def org_id(self) -> str:
        return self._record.org_id

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
        is written. Bounds are recomputed in the same transaction.
        """
        if isinstance(files, str) or not isinstance(files, Sequence):
            raise InvalidRequestError(f"files must be a list of SessionFile entries, got {files!r}")
        files = [as_session_file(f) for f in files]
        unique_ids("file", [f.file_id for f in files])
        now, user = self._client.now(), self._client.user
        return self._change(
            lambda tx: store.put_contributions(tx, self._org, self.session_id, files, now, user),
            contributions_changed=True,
        )

    def remove_file(self, file: Any) -> Session:
        """Remove one file's contribution (a ``File`` or a raw id)."""
        return self.remove_files([as_file_id(file)])

    def remove_files(self, file_ids: Sequence[str]) -> Session:
        """Remove the files' contributions and recompute bounds.

        Files unknown to the org are refused (nothing written); known files the session does not
        hold are ignored, so a repeated removal is harmless.
        """
        file_ids = unique_ids("file", file_ids)

        def change(tx: Tx) -> None:
            require_all(tx, "file", self._org, file_ids)
            tx.execute(
                "DELETE FROM session_files WHERE org_id = $org_id AND session_id = $session_id "
                "AND list_contains($file_ids, file_id)",
                org_id=self._org,
                session_id=self.session_id,
                file_ids=file_ids,
            )

        return self._change(change, contributions_changed=True)

    def list_files(self) -> Generator[SessionFile, None, None]:
        """Iterate this session's contributions, by file id, each with its optional range."""

        def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[SessionFile]:
            self._require_exists(tx)
            return tx.records(
                SessionFile,
                "SELECT * FROM session_files WHERE org_id = $org_id AND session_id = $session_id "
                "AND file_id > $after ORDER BY file_id LIMIT $limit",
                org_id=self._org,
                session_id=self.session_id,
                after=after[0],
                limit=limit,
            )

        return paginate(self._client, fetch_page, lambda f: (f.file_id,), first=("",))

    def list_topics(self) -> Generator[TopicIdentityRecord, None, None]:
        """Iterate topics with an extent overlapping its file's contribution window.

        Deduplicated across files and partitions; ordered by ``name``, then ``topic_id``.
        """

        def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[TopicIdentityRecord]:
            self._require_exists(tx)
            return tx.records(
                TopicIdentityRecord,
                SESSION_TOPICS_PAGE,
                org_id=self._org,
                session_id=self.session_id,
                after_name=after[0],
                after_topic_id=after[1],
                limit=limit,
            )

        return paginate(self._client, fetch_page, lambda t: (t.name, t.topic_id), first=("", ""))

    # -- devices --------------------------------------------------------------------------

    def attach_to_device(self, device_id: str) -> None:
        """Attach a device of the session's org as a subject (attaching twice changes nothing)."""
        now, user = self._client.now(), self._client.user
        self._change(lambda tx: store.attach_devices(tx, self._org, self.session_id, [device_id], now, user))

    def detach_from_device(self, device_id: str) -> None:
        """Detach a device (an unknown device is refused; one not attached is ignored)."""

        def change(tx: Tx) -> None:
            require_all(tx, "device", self._org, [device_id])
            tx.execute(
                "DELETE FROM session_devices WHERE org_id = $org_id AND session_id = $session_id "
                "AND device_id = $device_id",
                org_id=self._org,
                session_id=self.session_id,
                device_id=device_id,
            )

        self._change(change)

    def list_devices(self) -> Generator[str, None, None]:
        """Iterate the ids of the devices attached to this session, in id order."""

        def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[str]:
            self._require_exists(tx)
            rows = tx.rows(
                "SELECT device_id FROM session_devices WHERE org_id = $org_id "
                "AND session_id = $session_id AND device_id > $after ORDER BY device_id "
                "LIMIT $limit",
                org_id=self._org,
                session_id=self.session_id,
                after=after[0],
                limit=limit,
            )
            return [device_id for (device_id,) in rows]

        return paginate(self._client, fetch_page, lambda d: (d,), first=("",))

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
        changes: dict[str, Any] = {}
        if name is not NotSet:
            validate_name("session", name)
            changes["name"] = name
        if description is not NotSet:
            validate_description(description)
            changes["description"] = description
        if tags is not NotSet:
            changes["tags"] = () if tags is None else validate_tags(tags)
        if metadata is not NotSet:
            json_object_text("session metadata", metadata)
            changes["metadata"] = {} if metadata is None else metadata
        return self._change(lambda tx: changes, touch=bool(changes))

    def delete(self) -> None:
        """Delete the session with its contributions and device attachments, atomically."""

        def work(tx: Tx) -> None:
            self._require_exists(tx)
            for table in ("session_files", "session_devices", "sessions"):
                tx.execute(
                    f"DELETE FROM {table} WHERE org_id = $org_id AND session_id = $session_id",
                    org_id=self._org,
                    session_id=self.session_id,
                )

        self._client.catalog.transaction(work)

    # -- internals ------------------------------------------------------------------------

    def _change(
        self,
        change: Callable[[Tx], store.Changes | None],
        *,
        contributions_changed: bool = False,
        touch: bool = True,
    ) -> Session:
        """In one transaction: apply ``change``, then store the fields it returns, new bounds and
        audit fields.

        The session row is written whenever anything changed, so two concurrent changes of one
        session conflict in the catalog and the later one is retried on fresh data.
        """
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> SessionRecord:
            current = store.load_session(tx, self._org, self.session_id)
            changes = dict(change(tx) or {})
            if touch:
                changes.update(modified=now, modified_by=user)
            return store.save_session(tx, current, changes, recompute_bounds=contributions_changed)

        self._record = self._client.catalog.transaction(work)
        return self

    @property
    def _org(self) -> str:
        """The session's org, once the caller is confirmed to be a member of it."""
        return self._client.resolve_org(self._record.org_id, "owner_org_id")

    def _require_exists(self, tx: Tx) -> None:
        if not tx.exists("sessions", self._org, session_id=self.session_id):
            raise NotFoundError(f"session {self.session_id!r} not found in org {self._org!r}")

    def __repr__(self) -> str:
        r = self._record
        return (
            f"Session(session_id={r.session_id!r}, name={r.name!r}, org_id={r.org_id!r}, "
            f"min_timestamp_ns={r.min_timestamp_ns}, max_timestamp_ns={r.max_timestamp_ns})"
        )


def sessions_of(
    client: Client, org_id: str, *, dataset_id: str | None = None, device_id: str | None = None
) -> Generator[Session, None, None]:
    """Lazily iterate an org's sessions, oldest first, optionally of one dataset or device."""

    def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[SessionRecord]:
        return tx.records(
            SessionRecord,
            SESSIONS_PAGE,
            org_id=org_id,
            dataset_id=dataset_id,
            device_id=device_id,
            after_created=after[0],
            after_session_id=after[1],
            limit=limit,
        )

    records = paginate(client, fetch_page, lambda r: (r.created, r.session_id), (_EARLIEST, ""))
    return (Session(record, client) for record in records)


def as_session_file(value: Any) -> SessionFile:
    """A ``SessionFile`` as given, or a whole-file contribution of a ``File`` or raw file id."""
    if isinstance(value, SessionFile):
        return value
    return SessionFile(as_file_id(value))
