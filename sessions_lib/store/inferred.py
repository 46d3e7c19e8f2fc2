"""Inferred sessions in the catalog: the org's inferred sessions replaced by a new inference, in
one transaction, touching only the sessions that differ.

Sessions made through the API (``origin = 'api'``) are never read or written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from sessions_lib.catalog import Tx
from sessions_lib.queries import LISTED_SESSIONS, refresh_bounds

_REFRESH_BOUNDS_OF_LISTED_SESSIONS = refresh_bounds(LISTED_SESSIONS)
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
        with tx.table("listed", session_id=replaced):
            for table in ("session_files", "session_devices", "sessions"):
                tx.execute(
                    f"DELETE FROM {table} WHERE org_id = $org_id "
                    "AND session_id IN (SELECT session_id FROM listed)",
                    org_id=org_id,
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
        with tx.table("listed", session_id=written):
            tx.execute(_REFRESH_BOUNDS_OF_LISTED_SESSIONS, org_id=org_id)
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
