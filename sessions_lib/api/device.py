"""``Device``: a robot, drone or vehicle, and the single-device ``create_session`` shortcut."""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sessions_lib.api.session import Session, as_session_file, sessions_of
from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import iterate_by_id, load_one
from sessions_lib.client import Client, resolve_client
from sessions_lib.model.records import (
    DeviceRecord,
    SessionAttributes,
    SessionFile,
    SessionRecord,
    json_object_text,
    unique_ids,
    validate_name,
)
from sessions_lib.model.sentinels import NotSet, NotSetType
from sessions_lib.store import sessions as store
from sessions_lib.store.registry import register_device

# The device's session of a given name: the one identity create_session reuses.
SESSION_BY_NAME = """
SELECT s.* FROM sessions AS s
JOIN session_devices AS sd ON sd.org_id = s.org_id AND sd.session_id = s.session_id
WHERE s.org_id = $org_id AND sd.device_id = $device_id AND s.name = $name
ORDER BY s.created, s.session_id
LIMIT 1
"""


# The sessions a device is attached to, marked as changed by whoever detaches it.
TOUCH_SESSIONS_OF_DEVICE = """
UPDATE sessions SET modified = $now, modified_by = $user
WHERE org_id = $org_id AND session_id IN (
    SELECT session_id FROM session_devices WHERE org_id = $org_id AND device_id = $device_id)
"""


class Device:
    """A robot, drone or vehicle of an org: the subject of sessions and the source of files.

    >>> drone = Device.create("drone-7", device_type="quadcopter")  # doctest: +SKIP
    >>> session = drone.create_session("flight-001", files=["fl_0123456789abcdef"])  # doctest: +SKIP
    """

    def __init__(self, record: DeviceRecord, roboto_client: Client | None = None) -> None:
        self._record = record
        self._client = resolve_client(roboto_client)

    @classmethod
    def create(
        cls,
        name: str,
        *,
        device_type: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        device_id: str | None = None,
        caller_org_id: str | None = None,
        roboto_client: Client | None = None,
    ) -> Device:
        """Register a device; a given ``device_id`` must be new in the org."""
        client = resolve_client(roboto_client)
        record = register_device(
            name,
            device_type=device_type,
            metadata=metadata,
            device_id=device_id,
            org_id=client.resolve_org(caller_org_id, "caller_org_id"),
            roboto_client=client,
        )
        return cls(record, client)

    @classmethod
    def from_id(
        cls, device_id: str, owner_org_id: str | None = None, roboto_client: Client | None = None
    ) -> Device:
        """Load a device by id; unknown ids and other orgs' devices are not found."""
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(owner_org_id, "owner_org_id")
        return cls(client.catalog.read(lambda tx: load_device(tx, org_id, device_id)), client)

    @classmethod
    def for_org(
        cls, org_id: str | None = None, roboto_client: Client | None = None
    ) -> Generator[Device, None, None]:
        """Iterate the org's devices by id."""
        client = resolve_client(roboto_client)
        org = client.resolve_org(org_id, "org_id")

        records = iterate_by_id(client, DeviceRecord, "device", org)
        return (cls(record, client) for record in records)

    # -- properties -----------------------------------------------------------------------

    @property
    def record(self) -> DeviceRecord:
        return self._record

    @property
    def device_id(self) -> str:
        return self._record.device_id

    @property
    def org_id(self) -> str:
        return self._record.org_id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def device_type(self) -> str | None:
        return self._record.device_type

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self._record.metadata

    @property
    def created(self) -> datetime:
        return self._record.created

    @property
    def modified(self) -> datetime:
        return self._record.modified

    # -- changes --------------------------------------------------------------------------

    def update(
        self,
        name: str | NotSetType = NotSet,
        *,
        device_type: str | NotSetType | None = NotSet,
        metadata: Mapping[str, Any] | NotSetType | None = NotSet,
    ) -> Device:
        """Change fields (``NotSet`` leaves one, ``None`` clears an optional one)."""
        changes: dict[str, Any] = {}
        if name is not NotSet:
            validate_name("device", name, required=True)
            changes["name"] = name
        if device_type is not NotSet:
            changes["device_type"] = device_type
        if metadata is not NotSet:
            changes["metadata"] = json_object_text("device metadata", metadata or {})
        org_id = self._org
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> DeviceRecord:
            current = load_device(tx, org_id, self.device_id)
            if not changes:
                return current
            stored = {**changes, "modified": now, "modified_by": user}
            assignments = ", ".join(f"{column} = ${column}" for column in stored)
            tx.execute(
                f"UPDATE devices SET {assignments} WHERE org_id = $org_id AND device_id = $device_id",
                org_id=org_id,
                device_id=self.device_id,
                **stored,
            )
            return replace(current, **stored)

        self._record = self._client.catalog.transaction(work)
        return self

    def delete(self) -> None:
        """Delete the device. Sessions and files stay: in the same transaction the device is
        detached from every session and unlinked from its files and topic partitions, so no
        row is left pointing at a device that is gone."""
        org_id = self._org
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> None:
            load_device(tx, org_id, self.device_id)
            params = {"org_id": org_id, "device_id": self.device_id}
            tx.execute(TOUCH_SESSIONS_OF_DEVICE, now=now, user=user, **params)
            tx.execute(
                "DELETE FROM session_devices WHERE org_id = $org_id AND device_id = $device_id", **params
            )
            for table in ("files", "topic_partitions"):
                tx.execute(
                    f"UPDATE {table} SET device_id = NULL WHERE org_id = $org_id AND device_id = $device_id",
                    **params,
                )
            tx.execute("DELETE FROM devices WHERE org_id = $org_id AND device_id = $device_id", **params)

        self._client.catalog.transaction(work)

    def list_sessions(self) -> Generator[Session, None, None]:
        """Iterate the sessions this device is attached to, oldest first."""
        return sessions_of(self._client, self._org, device_id=self.device_id)

    def create_session(
        self,
        name: str,
        *,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        files: Sequence[Any] | None = None,
    ) -> Session:
        """The device's session called ``name``: created with this device attached, or reused.

        The name identifies the session within the device, so sending the same call again is
        safe: the existing session gets only what it lacks (files it does not hold, and a
        description, tags or metadata it has none of); held files keep their ranges. Session,
        attachment and contributions are written in one transaction.

        ``files`` holds ``File`` objects, file ids, or ``SessionFile`` entries with ranges.
        """
        validate_name("session", name, required=True)
        attributes = SessionAttributes(description, tags, metadata)
        wanted = [as_session_file(f) for f in files or ()]
        unique_ids("file", [f.file_id for f in wanted])
        org_id = self._org
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> SessionRecord:
            load_device(tx, org_id, self.device_id)
            existing = tx.records(
                SessionRecord, SESSION_BY_NAME, org_id=org_id, device_id=self.device_id, name=name
            )
            if existing:
                return fill_in(tx, existing[0], wanted, attributes, now, user)
            record = store.new_session(org_id, name, now, user, attributes)
            store.insert_session(tx, record)
            store.attach_devices(tx, org_id, record.session_id, [self.device_id], now, user)
            store.put_contributions(tx, org_id, record.session_id, wanted, now, user)
            return store.save_session(tx, record, {}, recompute_bounds=bool(wanted))

        return Session(self._client.catalog.transaction(work), self._client)

    @property
    def _org(self) -> str:
        return self._client.resolve_org(self._record.org_id, "owner_org_id")

    def __repr__(self) -> str:
        return f"Device(device_id={self.device_id!r}, name={self.name!r}, org_id={self.org_id!r})"


def fill_in(
    tx: Tx,
    current: SessionRecord,
    files: list[SessionFile],
    attributes: SessionAttributes,
    now: datetime,
    user: str,
) -> SessionRecord:
    """Give an existing session what it lacks, leaving everything it has as it is."""
    held = {
        file_id
        for (file_id,) in tx.rows(
            "SELECT file_id FROM session_files WHERE org_id = $org_id AND session_id = $session_id",
            org_id=current.org_id,
            session_id=current.session_id,
        )
    }
    missing_files = [f for f in files if f.file_id not in held]
    changes: dict[str, Any] = {}
    if attributes.description is not None and current.description is None:
        changes["description"] = attributes.description
    if attributes.tags and not current.tags:
        changes["tags"] = attributes.tags
    if attributes.metadata and not current.metadata:
        changes["metadata"] = attributes.metadata
    if missing_files:
        store.put_contributions(tx, current.org_id, current.session_id, missing_files, now, user)
    if changes or missing_files:
        changes.update(modified=now, modified_by=user)
    return store.save_session(tx, current, changes, recompute_bounds=bool(missing_files))


def load_device(tx: Tx, org_id: str, device_id: str) -> DeviceRecord:
    return load_one(tx, DeviceRecord, "device", org_id, device_id)
