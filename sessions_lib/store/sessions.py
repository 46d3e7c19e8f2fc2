"""Transactional verbs on sessions: the writes ``Session``, ``Device`` and ``Dataset`` compose.

Each function works inside a caller's open transaction (``Tx``), so a shortcut such as
``Device.create_session`` can create a session, attach its device, add its files and store its
bounds together or not at all. Bounds always come from the rules in ``sessions_lib.queries``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import polars as pl

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one, require_all
from sessions_lib.model import ids
from sessions_lib.model.records import (
    Origin,
    SessionAttributes,
    SessionFile,
    SessionRecord,
    as_row,
    json_object_text,
)
from sessions_lib.queries import ONE_SESSION, with_rules

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


# -- inferred sessions ----------------------------------------------------------------------------

SESSIONS_IN_LIST = (
    "SELECT * FROM session_files WHERE org_id = $org_id AND list_contains($session_ids, session_id)"
)
REFRESH_BOUNDS_OF_LISTED_SESSIONS = f"""
UPDATE sessions
SET min_timestamp_ns = b.min_timestamp_ns, max_timestamp_ns = b.max_timestamp_ns
FROM ({with_rules(SESSIONS_IN_LIST)} SELECT * FROM session_bounds) AS b
WHERE sessions.org_id = b.org_id AND sessions.session_id = b.session_id
"""
STORED_INFERRED = {
    "sessions": """
        SELECT session_id, name, created, created_by FROM sessions
        WHERE org_id = $org_id AND origin = 'inferred'""",
    "contributions": """
        SELECT sf.session_id, sf.file_id, sf.range_min_timestamp_ns, sf.range_max_timestamp_ns
        FROM session_files AS sf JOIN sessions AS s USING (org_id, session_id)
        WHERE sf.org_id = $org_id AND s.origin = 'inferred'""",
    "attachments": """
        SELECT sd.session_id, sd.device_id
        FROM session_devices AS sd JOIN sessions AS s USING (org_id, session_id)
        WHERE sd.org_id = $org_id AND s.origin = 'inferred'""",
}


@dataclass(frozen=True, slots=True)
class InferredChange:
    """What replacing an org's inferred sessions did, by session id."""

    created: tuple[str, ...]
    changed: tuple[str, ...]
    deleted: tuple[str, ...]
    unchanged: int


def replace_inferred_sessions(
    tx: Tx,
    org_id: str,
    sessions: pl.DataFrame,
    contributions: pl.DataFrame,
    attachments: pl.DataFrame,
    now: datetime,
    user: str,
) -> InferredChange:
    """Make the org's inferred sessions exactly the given ones, touching only what differs.

    Sessions made through the API (``origin = 'api'``) are never read or written here. A session
    whose name, contributions and devices are unchanged is left alone, so a re-run over the same
    input writes nothing. Bounds of written sessions come from the rules, like every other session.
    """
    stored = {name: tx.frame(sql, org_id=org_id) for name, sql in STORED_INFERRED.items()}
    wanted = _fingerprints(sessions, contributions, attachments)
    have = _fingerprints(stored["sessions"], stored["contributions"], stored["attachments"])
    joined = wanted.join(have, on="session_id", how="full", suffix="_stored", coalesce=True)
    created = joined.filter(pl.col("fingerprint_stored").is_null())["session_id"].sort().to_list()
    deleted = joined.filter(pl.col("fingerprint").is_null())["session_id"].sort().to_list()
    changed = (
        joined.filter(pl.col("fingerprint") != pl.col("fingerprint_stored"))["session_id"].sort().to_list()
    )

    replaced = deleted + changed
    if replaced:
        for table in ("session_files", "session_devices", "sessions"):
            tx.execute(
                f"DELETE FROM {table} WHERE org_id = $org_id AND list_contains($ids, session_id)",
                org_id=org_id,
                ids=replaced,
            )
    written = created + changed
    if written:
        kept_created = stored["sessions"].select("session_id", "created", "created_by")
        new_sessions = (
            sessions.filter(pl.col("session_id").is_in(written))
            .join(kept_created, on="session_id", how="left")
            .select(
                "session_id",
                pl.lit(org_id).alias("org_id"),
                "name",
                pl.col("created").fill_null(pl.lit(now)),
                pl.col("created_by").fill_null(pl.lit(user)),
                pl.lit(now).alias("modified"),
                pl.lit(user).alias("modified_by"),
                pl.lit("inferred").alias("origin"),
                pl.lit("{}").alias("metadata"),
            )
        )
        tx.insert_arrow("sessions", new_sessions.to_arrow())
        audit = [
            pl.lit(org_id).alias("org_id"),
            pl.lit(now).alias("created"),
            pl.lit(user).alias("created_by"),
        ]
        tx.insert_arrow(
            "session_files",
            contributions.filter(pl.col("session_id").is_in(written))
            .select("session_id", "file_id", "range_min_timestamp_ns", "range_max_timestamp_ns", *audit)
            .to_arrow(),
        )
        tx.insert_arrow(
            "session_devices",
            attachments.filter(pl.col("session_id").is_in(written))
            .select("session_id", "device_id", *audit)
            .to_arrow(),
        )
        tx.execute(REFRESH_BOUNDS_OF_LISTED_SESSIONS, org_id=org_id, session_ids=written)
    return InferredChange(
        tuple(created), tuple(changed), tuple(deleted), unchanged=joined.height - len(written) - len(deleted)
    )


def _fingerprints(
    sessions: pl.DataFrame, contributions: pl.DataFrame, attachments: pl.DataFrame
) -> pl.DataFrame:
    """One order-independent hash per session of its name, contributions and devices."""
    parts = [
        sessions.select("session_id", pl.col("name").hash().alias("h")),
        contributions.select(
            "session_id",
            pl.struct("file_id", "range_min_timestamp_ns", "range_max_timestamp_ns").hash().alias("h"),
        ),
        attachments.select("session_id", pl.struct("device_id").hash().alias("h")),
    ]
    hashed = pl.concat([p.with_columns(pl.col("h").cast(pl.UInt64)) for p in parts])
    return (
        hashed.group_by("session_id")
        .agg(pl.col("h").sum().alias("fingerprint"))
        .filter(pl.col("session_id").is_in(sessions["session_id"].implode()))
    )
