"""Sessions in the catalog: the writes and reads ``Session``, ``Device`` and ``Dataset`` compose.

Each function works inside a caller's open transaction (``Tx``), so a shortcut such as
``Device.create_session`` can create a session, attach its device, add its files and store its
bounds together or not at all. Bounds always come from the rules in ``sessions_lib.queries``.

Every statement that touches a lake table costs a round trip to the catalog's metadata (README,
"What one write costs"), so a single operation is as few statements as its semantics allow: the
checks are folded into the writes (contributions and attachments are inserted from the org's own
``files`` and ``devices``, and a count falling short refuses the call), the bounds are recomputed
inside the UPDATE of the session row, and the row is read back once, after the writes. A call that
changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one, require_all, require_one
from sessions_lib.errors import ConflictError, NotFoundError
from sessions_lib.model import ids
from sessions_lib.model.records import Origin, SessionFile, SessionRecord, TopicIdentityRecord, as_row
from sessions_lib.model.requests import SessionAttributes
from sessions_lib.model.validation import json_object_text
from sessions_lib.queries import ONE_SESSION, query_sql, with_rules

# One session's bounds as the rules recompute them: always one row, NULL bounds without contributions.
SESSION_BOUNDS = with_rules(ONE_SESSION) + (
    "SELECT b.min_timestamp_ns, b.max_timestamp_ns FROM (SELECT 1) LEFT JOIN session_bounds AS b ON true"
)
SESSION_TOPICS_PAGE = with_rules(ONE_SESSION) + query_sql("pages/session_topics")
_INSERT_CONTRIBUTIONS = query_sql("session/insert_contributions")
_REPLACE_RANGES = query_sql("session/replace_ranges")
_ATTACH_DEVICES = query_sql("session/attach_devices")
_OF_DEVICE_NAMED = query_sql("session/of_device_named")
# The session row as a struct, with which of $ids the org has among its {kind}s.
_SESSION_AND_KNOWN = """
SELECT s AS session,
       (SELECT list({kind}_id) FROM {kind}s WHERE org_id = $org_id AND list_contains($ids, {kind}_id))
FROM sessions AS s WHERE s.org_id = $org_id AND s.session_id = $session_id
"""
_SESSION_FIELDS = frozenset(f.name for f in fields(SessionRecord))

Changes = Mapping[str, Any]  # session columns to set, by name


@dataclass(frozen=True, slots=True)
class Change:
    """What one call did to a session, for :func:`finish_change`: whether it changed contributions
    or attachments, the session columns it sets, and the ids (of ``kind``) its writes matched no row
    for, which the org may not have: they are checked when the row is read back."""

    changed: bool = False
    columns: Changes = field(default_factory=lambda: MappingProxyType({}))
    kind: str = "file"
    unverified: Sequence[str] = ()


def new_session(
    org_id: str,
    name: str | None,
    now: datetime,
    user: str,
    attributes: SessionAttributes,
    *,
    origin: Origin = "api",
) -> SessionRecord:
    """A record for a session not yet stored (no contributions, so no bounds)."""
    return SessionRecord(
        session_id=ids.new_id(ids.SESSION),
        org_id=org_id,
        name=name,
        created=now,
        created_by=user,
        modified=now,
        modified_by=user,
        origin=origin,
        description=attributes.description,
        tags=attributes.tags,
        metadata=attributes.metadata,
    )


def create_session(
    tx: Tx,
    record: SessionRecord,
    device_ids: Sequence[str],
    files: Sequence[SessionFile],
    now: datetime,
    user: str,
) -> SessionRecord:
    """Store a new session with its devices and contributions (all must exist in its org) and return
    it as stored. The contributions go first, so the row is written once, with its bounds."""
    org_id, session_id = record.org_id, record.session_id
    if device_ids:
        attached = attach_devices(tx, org_id, session_id, device_ids, now, user)
        refuse_shortfall(tx, "device", org_id, device_ids, attached)
    if files:
        inserted = insert_contributions(tx, org_id, session_id, files, now, user)
        refuse_shortfall(tx, "file", org_id, [f.file_id for f in files], inserted)
        ((low, high),) = tx.rows(SESSION_BOUNDS, org_id=org_id, session_id=session_id)
        record = replace(record, min_timestamp_ns=low, max_timestamp_ns=high)
    tx.insert("sessions", [as_row(record)])
    return record


def load_session(
    tx: Tx, org_id: str, session_id: str, kind: str = "file", verify: Sequence[str] = ()
) -> SessionRecord:
    """The stored session (not found if it is another org's or does not exist); in the same
    statement, refuse any id of ``verify`` the org has no ``kind`` of."""
    if not verify:
        return load_one(tx, SessionRecord, "session", org_id, session_id)
    found = tx.rows(
        _SESSION_AND_KNOWN.format(kind=kind), org_id=org_id, session_id=session_id, ids=list(verify)
    )
    if not found:
        raise NotFoundError("session", session_id, org_id)
    ((row, known),) = found
    missing = [i for i in verify if i not in set(known or ())]
    if missing:
        raise NotFoundError(kind, missing, org_id)
    return _session_record(row)


def put_contributions(
    tx: Tx, org_id: str, session_id: str, files: Sequence[SessionFile], now: datetime, user: str
) -> Change:
    """Add contributions; files already held get the range asked for (keeping when they were added).

    The files not inserted were held or are unknown: they are verified when the row is read back.
    """
    if not files:
        return Change()
    inserted = insert_contributions(tx, org_id, session_id, files, now, user)
    if inserted == len(files):
        return Change(changed=True)
    replaced = _count(tx, _REPLACE_RANGES, org_id=org_id, session_id=session_id, **_given(files))
    return Change(changed=inserted + replaced > 0, unverified=[f.file_id for f in files])


def insert_contributions(
    tx: Tx, org_id: str, session_id: str, files: Sequence[SessionFile], now: datetime, user: str
) -> int:
    """Insert contributions of the files the org has and the session does not hold; how many."""
    return _count(
        tx, _INSERT_CONTRIBUTIONS, org_id=org_id, session_id=session_id, now=now, user=user, **_given(files)
    )


def remove_contributions(tx: Tx, org_id: str, session_id: str, file_ids: Sequence[str]) -> Change:
    """Remove the files' contributions; files the session does not hold are verified as the org's
    when the row is read back, and otherwise ignored."""
    removed = _count(
        tx,
        "DELETE FROM session_files WHERE org_id = $org_id AND session_id = $session_id "
        "AND list_contains($file_ids, file_id)",
        org_id=org_id,
        session_id=session_id,
        file_ids=list(file_ids),
    )
    return Change(changed=removed > 0, unverified=[] if removed == len(file_ids) else list(file_ids))


def attach_devices(
    tx: Tx, org_id: str, session_id: str, device_ids: Sequence[str], now: datetime, user: str
) -> int:
    """Attach the devices the org has that are not attached yet; how many."""
    params = dict(org_id=org_id, session_id=session_id, device_ids=list(device_ids), now=now, user=user)
    return _count(tx, _ATTACH_DEVICES, **params)


def attach_device(tx: Tx, org_id: str, session_id: str, device_id: str, now: datetime, user: str) -> Change:
    """Attach a device; one attached already (or unknown) is verified when the row is read back."""
    attached = attach_devices(tx, org_id, session_id, [device_id], now, user)
    return Change(changed=attached > 0, kind="device", unverified=[] if attached else [device_id])


def detach_device(tx: Tx, org_id: str, session_id: str, device_id: str) -> Change:
    """Detach a device; one not attached (or unknown) is verified when the row is read back."""
    detached = _count(
        tx,
        "DELETE FROM session_devices WHERE org_id = $org_id AND session_id = $session_id "
        "AND device_id = $device_id",
        org_id=org_id,
        session_id=session_id,
        device_id=device_id,
    )
    return Change(changed=detached > 0, kind="device", unverified=[] if detached else [device_id])


def finish_change(
    tx: Tx, org_id: str, session_id: str, change: Change, now: datetime, user: str
) -> SessionRecord:
    """Write the session row if the call changed anything (its columns, who changed it when, and
    the bounds if contributions changed) and read it back as stored, refusing unverified ids the
    org does not have. The row is written whenever anything changed, so two concurrent changes of
    one session conflict and the later one is retried on fresh data."""
    if change.changed or change.columns:
        columns = {**change.columns, "modified": now, "modified_by": user}
        recompute = change.changed and change.kind == "file"
        if not save_session(tx, org_id, session_id, columns, recompute_bounds=recompute):
            raise NotFoundError("session", session_id, org_id)
    return load_session(tx, org_id, session_id, change.kind, change.unverified)


def save_session(tx: Tx, org_id: str, session_id: str, changes: Changes, *, recompute_bounds: bool) -> bool:
    """Write ``changes`` (and, if asked, the bounds the rules recompute from the contributions) to
    the row, in one UPDATE; whether the org has the session."""
    stored = {
        column: json_object_text("session metadata", value) if column == "metadata" else value
        for column, value in changes.items()
    }
    assignments = [f"{column} = ${column}" for column in stored]
    source = ""
    if recompute_bounds:
        assignments += ["min_timestamp_ns = b.min_timestamp_ns", "max_timestamp_ns = b.max_timestamp_ns"]
        source = f"FROM ({SESSION_BOUNDS}) AS b "
    sql = (
        f"UPDATE sessions SET {', '.join(assignments)} {source}"
        "WHERE sessions.org_id = $org_id AND sessions.session_id = $session_id"
    )
    return _count(tx, sql, org_id=org_id, session_id=session_id, **stored) > 0


def refuse_shortfall(tx: Tx, kind: str, org_id: str, wanted: Sequence[str], written: int) -> None:
    """Refuse the request, naming the ids the org does not have, when fewer rows were written than
    ids asked for."""
    if written < len(wanted):
        require_all(tx, kind, org_id, wanted)


def require_session(tx: Tx, org_id: str, session_id: str) -> None:
    """Refuse the request unless the session exists in the org."""
    require_one(tx, "session", org_id, session_id)


def delete_session(tx: Tx, org_id: str, session_id: str) -> None:
    """Delete the session with its contributions and device attachments."""
    require_session(tx, org_id, session_id)
    for table in ("session_files", "session_devices", "sessions"):
        tx.execute(
            f"DELETE FROM {table} WHERE org_id = $org_id AND session_id = $session_id",
            org_id=org_id,
            session_id=session_id,
        )


def session_of_device_named(
    tx: Tx, org_id: str, device_id: str, name: str, file_ids: Sequence[str]
) -> tuple[SessionRecord, set[str]] | None:
    """The device's session called ``name``, if any, with the files of ``file_ids`` it holds.

    The name identifies a session within its device: when the device has several sessions of
    that name (made before names were kept apart), none is picked and ``ConflictError`` says so."""
    found = tx.rows(_OF_DEVICE_NAMED, org_id=org_id, device_id=device_id, name=name, file_ids=list(file_ids))
    if len(found) > 1:
        ids = [row["session_id"] for row, _ in found]
        raise ConflictError(
            f"device {device_id!r} has more than one session called {name!r} (e.g. {ids}); the name "
            "does not identify one: rename all but one (Session.update(name=...)) or use a session id"
        )
    if not found:
        return None
    ((row, held),) = found
    return _session_record(row), set(held or ())


def fill_in(
    tx: Tx,
    current: SessionRecord,
    held: set[str],
    files: Sequence[SessionFile],
    attributes: SessionAttributes,
    now: datetime,
    user: str,
) -> SessionRecord:
    """Give an existing session what it lacks (``held`` names the files of ``files`` it has),
    leaving everything it has as it is; with nothing lacking, nothing is written."""
    missing_files = [f for f in files if f.file_id not in held]
    columns: dict[str, Any] = {}
    if attributes.description is not None and current.description is None:
        columns["description"] = attributes.description
    if attributes.tags and not current.tags:
        columns["tags"] = attributes.tags
    if attributes.metadata and not current.metadata:
        columns["metadata"] = attributes.metadata
    if not (missing_files or columns):
        return current
    if missing_files:
        inserted = insert_contributions(tx, current.org_id, current.session_id, missing_files, now, user)
        refuse_shortfall(tx, "file", current.org_id, [f.file_id for f in missing_files], inserted)
    change = Change(changed=bool(missing_files), columns=columns)
    return finish_change(tx, current.org_id, current.session_id, change, now, user)


def _given(files: Sequence[SessionFile]) -> dict[str, list[Any]]:
    """The files and their ranges as the parameters ``session/*.sql`` take, position by position
    (bounds as Python ints: DuckDB takes no NumPy scalar in a list parameter)."""
    return dict(
        file_ids=[f.file_id for f in files],
        range_mins=[_int_or_none(f.range_min_timestamp_ns) for f in files],
        range_maxs=[_int_or_none(f.range_max_timestamp_ns) for f in files],
    )


def _int_or_none(value: int | None) -> int | None:
    return None if value is None else int(value)


def _count(tx: Tx, sql: str, **params: Any) -> int:
    """The number of rows an INSERT, UPDATE or DELETE wrote."""
    ((count,),) = tx.rows(sql, **params)
    return int(count)


def _session_record(row: Mapping[str, Any]) -> SessionRecord:
    """A session row selected as a struct (``SELECT s AS session``), as a record."""
    return SessionRecord(**{name: value for name, value in row.items() if name in _SESSION_FIELDS})


# -- pages of lists (each page one transaction; see sessions_lib.catalog.paging) ------------------


def sessions_page(
    tx: Tx,
    org_id: str,
    after: tuple[Any, ...],
    limit: int,
    *,
    dataset_id: str | None = None,
    device_id: str | None = None,
) -> list[SessionRecord]:
    """An org's sessions oldest first, optionally of one dataset or device, after ``(created, id)``."""
    after_created, after_session_id = after
    return tx.records(
        SessionRecord,
        query_sql("pages/sessions"),
        org_id=org_id,
        dataset_id=dataset_id,
        device_id=device_id,
        after_created=after_created,
        after_session_id=after_session_id,
        limit=limit,
    )


def contributions_page(
    tx: Tx, org_id: str, session_id: str, after_file_id: str, limit: int
) -> list[SessionFile]:
    """The session's contributions by file id, after ``after_file_id``."""
    require_session(tx, org_id, session_id)
    return tx.records(
        SessionFile,
        "SELECT * FROM session_files WHERE org_id = $org_id AND session_id = $session_id "
        "AND file_id > $after ORDER BY file_id LIMIT $limit",
        org_id=org_id,
        session_id=session_id,
        after=after_file_id,
        limit=limit,
    )


def topics_page(
    tx: Tx, org_id: str, session_id: str, after: tuple[Any, ...], limit: int
) -> list[TopicIdentityRecord]:
    """The session's topics (``list_topics``) by name then id, after ``(name, topic_id)``."""
    require_session(tx, org_id, session_id)
    after_name, after_topic_id = after
    return tx.records(
        TopicIdentityRecord,
        SESSION_TOPICS_PAGE,
        org_id=org_id,
        session_id=session_id,
        after_name=after_name,
        after_topic_id=after_topic_id,
        limit=limit,
    )


def devices_page(tx: Tx, org_id: str, session_id: str, after_device_id: str, limit: int) -> list[str]:
    """The ids of the session's devices, after ``after_device_id``."""
    require_session(tx, org_id, session_id)
    rows = tx.rows(
        "SELECT device_id FROM session_devices WHERE org_id = $org_id "
        "AND session_id = $session_id AND device_id > $after ORDER BY device_id LIMIT $limit",
        org_id=org_id,
        session_id=session_id,
        after=after_device_id,
        limit=limit,
    )
    return [device_id for (device_id,) in rows]


@dataclass(frozen=True, slots=True)
class TopicSliceRow:
    """One part of a session's topic: a topic partition of a file the session holds, and the
    contribution's wall-clock window over it (see ``session/topic_slices.sql``)."""

    file_id: str
    relative_path: str
    uri: str | None
    format: str | None
    root_path: str | None
    anchored: bool | None
    topic_part_id: str
    partition_key: str | None
    row_start: int | None
    row_end: int | None
    window_min_ns: int
    window_max_ns: int
    unix_epoch_offset_ns: int | None
    topic_name: str = ""
    read_options: str | None = None  # JSON: how the file's reader was told to read it (None: defaults)


_TOPIC_SLICES = with_rules(ONE_SESSION) + query_sql("session/topic_slices")


def topic_slices(tx: Tx, org_id: str, session_id: str, topic_name: str) -> list[TopicSliceRow]:
    """The partitions of the topic on the files the session holds whose data overlaps their
    contribution's window, with that window, in time order (a file held twice: once; a file's
    partitions: each)."""
    return topics_slices(tx, org_id, session_id, [topic_name])


def topics_slices(tx: Tx, org_id: str, session_id: str, topic_names: Sequence[str]) -> list[TopicSliceRow]:
    """``topic_slices`` of several topics in one query, each row naming its topic (``topic_name``)."""
    require_session(tx, org_id, session_id)
    return tx.records(
        TopicSliceRow, _TOPIC_SLICES, org_id=org_id, session_id=session_id, topic_names=list(topic_names)
    )
