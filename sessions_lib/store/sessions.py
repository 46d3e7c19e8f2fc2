"""Sessions in the catalog: the writes and reads ``Session``, ``Device`` and ``Dataset`` compose.

Each function works inside a caller's open transaction (``Tx``), so a shortcut such as
``Device.create_session`` can create a session, attach its device, add its files and store its
bounds together or not at all. Bounds always come from the rules in ``sessions_lib.queries``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one, require_all, require_one
from sessions_lib.model import ids
from sessions_lib.model.records import Origin, SessionFile, SessionRecord, TopicIdentityRecord, as_row
from sessions_lib.model.requests import SessionAttributes
from sessions_lib.model.validation import json_object_text
from sessions_lib.queries import ONE_SESSION, query_sql, with_rules

SESSION_BOUNDS = with_rules(ONE_SESSION) + "SELECT min_timestamp_ns, max_timestamp_ns FROM session_bounds"

# Insert new contributions, replace the range of those already held (keeping when they were added).
UPSERT_CONTRIBUTIONS = """
ON target.org_id = source.org_id AND target.session_id = source.session_id
   AND target.file_id = source.file_id
WHEN MATCHED THEN UPDATE SET
    range_min_timestamp_ns = source.range_min_timestamp_ns,
    range_max_timestamp_ns = source.range_max_timestamp_ns
WHEN NOT MATCHED THEN INSERT BY NAME
"""
ATTACH_MISSING_DEVICES = """
ON target.org_id = source.org_id AND target.session_id = source.session_id
   AND target.device_id = source.device_id
WHEN NOT MATCHED THEN INSERT BY NAME
"""

# The device's session of a given name: the one identity create_session reuses.
_SESSION_BY_NAME = """
SELECT s.* FROM sessions AS s
JOIN session_devices AS sd ON sd.org_id = s.org_id AND sd.session_id = s.session_id
WHERE s.org_id = $org_id AND sd.device_id = $device_id AND s.name = $name
ORDER BY s.created, s.session_id
LIMIT 1
"""
SESSION_TOPICS_PAGE = with_rules(ONE_SESSION) + query_sql("pages/session_topics")

Changes = Mapping[str, Any]  # session columns to set, by name


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


def insert_session(tx: Tx, record: SessionRecord) -> None:
    tx.insert("sessions", [as_row(record)])


def load_session(tx: Tx, org_id: str, session_id: str) -> SessionRecord:
    """The stored session (not found if it is another org's or does not exist)."""
    return load_one(tx, SessionRecord, "session", org_id, session_id)


def put_contributions(
    tx: Tx,
    org_id: str,
    session_id: str,
    files: Sequence[SessionFile],
    now: datetime,
    user: str,
) -> None:
    """Add contributions (all files must exist in the org); held files get the new range."""
    require_all(tx, "file", org_id, [f.file_id for f in files])
    rows = [
        dict(
            session_id=session_id,
            org_id=org_id,
            file_id=f.file_id,
            range_min_timestamp_ns=f.range_min_timestamp_ns,
            range_max_timestamp_ns=f.range_max_timestamp_ns,
            created=now,
            created_by=user,
        )
        for f in files
    ]
    tx.merge("session_files", rows, UPSERT_CONTRIBUTIONS)


def attach_devices(
    tx: Tx, org_id: str, session_id: str, device_ids: Sequence[str], now: datetime, user: str
) -> None:
    """Attach devices (all must exist in the org); ones already attached stay as they are."""
    require_all(tx, "device", org_id, device_ids)
    rows = [
        dict(session_id=session_id, org_id=org_id, device_id=d, created=now, created_by=user)
        for d in device_ids
    ]
    tx.merge("session_devices", rows, ATTACH_MISSING_DEVICES)


def save_session(
    tx: Tx, current: SessionRecord, changes: Changes, *, recompute_bounds: bool
) -> SessionRecord:
    """Write ``changes`` (and, if asked, the bounds recomputed from contributions) to the row."""
    changes = dict(changes)
    if recompute_bounds:
        bounds = tx.rows(SESSION_BOUNDS, org_id=current.org_id, session_id=current.session_id)
        low, high = bounds[0] if bounds else (None, None)
        changes.update(min_timestamp_ns=low, max_timestamp_ns=high)
    if not changes:
        return current
    stored = {
        column: json_object_text("session metadata", value) if column == "metadata" else value
        for column, value in changes.items()
    }
    assignments = ", ".join(f"{column} = ${column}" for column in stored)
    tx.execute(
        f"UPDATE sessions SET {assignments} WHERE org_id = $org_id AND session_id = $session_id",
        org_id=current.org_id,
        session_id=current.session_id,
        **stored,
    )
    return replace(current, **changes)


def require_session(tx: Tx, org_id: str, session_id: str) -> None:
    """Refuse the request unless the session exists in the org."""
    require_one(tx, "session", org_id, session_id)


def remove_contributions(tx: Tx, org_id: str, session_id: str, file_ids: Sequence[str]) -> None:
    """Remove the files' contributions (all files must exist in the org; ones not held are ignored)."""
    require_all(tx, "file", org_id, file_ids)
    tx.execute(
        "DELETE FROM session_files WHERE org_id = $org_id AND session_id = $session_id "
        "AND list_contains($file_ids, file_id)",
        org_id=org_id,
        session_id=session_id,
        file_ids=list(file_ids),
    )


def detach_device(tx: Tx, org_id: str, session_id: str, device_id: str) -> None:
    """Detach a device (it must exist in the org; one not attached is ignored)."""
    require_all(tx, "device", org_id, [device_id])
    tx.execute(
        "DELETE FROM session_devices WHERE org_id = $org_id AND session_id = $session_id "
        "AND device_id = $device_id",
        org_id=org_id,
        session_id=session_id,
        device_id=device_id,
    )


def delete_session(tx: Tx, org_id: str, session_id: str) -> None:
    """Delete the session with its contributions and device attachments."""
    require_session(tx, org_id, session_id)
    for table in ("session_files", "session_devices", "sessions"):
        tx.execute(
            f"DELETE FROM {table} WHERE org_id = $org_id AND session_id = $session_id",
            org_id=org_id,
            session_id=session_id,
        )


def session_of_device_named(tx: Tx, org_id: str, device_id: str, name: str) -> SessionRecord | None:
    """The device's oldest session called ``name``, if any."""
    found = tx.records(SessionRecord, _SESSION_BY_NAME, org_id=org_id, device_id=device_id, name=name)
    return found[0] if found else None


def fill_in(
    tx: Tx,
    current: SessionRecord,
    files: Sequence[SessionFile],
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
        put_contributions(tx, current.org_id, current.session_id, missing_files, now, user)
    if changes or missing_files:
        changes.update(modified=now, modified_by=user)
    return save_session(tx, current, changes, recompute_bounds=bool(missing_files))


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
