"""``Device``: a robot, drone or vehicle, and the single-device ``create_session`` shortcut."""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sessions_lib.api.base import CatalogObject
from sessions_lib.api.registration import register_device
from sessions_lib.api.session import Session, session_files, sessions_of
from sessions_lib.catalog import Tx
from sessions_lib.client import Client, resolve_client
from sessions_lib.model.records import DeviceRecord, SessionRecord
from sessions_lib.model.requests import DeviceChanges, SessionAttributes
from sessions_lib.model.sentinels import NotSet, NotSetType
from sessions_lib.model.validation import validate_name
from sessions_lib.store import devices
from sessions_lib.store import sessions as store


class Device(CatalogObject[DeviceRecord]):
    """A robot, drone or vehicle of an org: the subject of sessions and the source of files.

    >>> drone = Device.create("drone-7", device_type="quadcopter")  # doctest: +SKIP
    >>> session = drone.create_session("flight-001", files=["fl_0123456789abcdef"])  # doctest: +SKIP
    """

    kind = "device"
    record_type = DeviceRecord
    repr_fields = ("device_id", "name", "org_id")

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
        return cls._load(device_id, owner_org_id, roboto_client)

    @classmethod
    def for_org(
        cls, org_id: str | None = None, roboto_client: Client | None = None
    ) -> Generator[Device, None, None]:
        """Iterate the org's devices by id."""
        return cls._all_of_org(org_id, roboto_client)

    # -- properties -----------------------------------------------------------------------

    @property
    def device_id(self) -> str:
        return self._record.device_id

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
        changes = DeviceChanges(name, device_type, metadata)
        org_id = self._org
        now, user = self._client.now(), self._client.user
        self._record = self._client.catalog.transaction(
            lambda tx: devices.update_device(tx, org_id, self.device_id, changes, now, user)
        )
        return self

    def delete(self) -> None:
        """Delete the device. Sessions and files stay: in the same transaction the device is
        detached from every session and unlinked from its files and topic partitions, so no
        row is left pointing at a device that is gone."""
        org_id = self._org
        now, user = self._client.now(), self._client.user
        self._client.catalog.transaction(
            lambda tx: devices.delete_device(tx, org_id, self.device_id, now, user)
        )

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
        attributes = SessionAttributes.given(description, tags, metadata)
        wanted = [] if files is None else session_files(files)
        org_id = self._org
        now, user = self._client.now(), self._client.user

        def work(tx: Tx) -> SessionRecord:
            found = store.session_of_device_named(
                tx, org_id, self.device_id, name, [f.file_id for f in wanted]
            )
            if found is not None:
                existing, held = found
                return store.fill_in(tx, existing, held, wanted, attributes, now, user)
            record = store.new_session(org_id, name, now, user, attributes)
            return store.create_session(tx, record, [self.device_id], wanted, now, user)

        return Session(self._client.catalog.transaction(work), self._client)
