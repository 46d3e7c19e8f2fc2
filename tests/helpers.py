"""Helpers shared by test modules (and the benchmarks): what a catalog holds, compared across runs,
what statements one call runs, and when a Dagster run's batch steps ran."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dagster import DagsterEventType, DagsterInstance

from sessions_lib import Client

# Every table's rows by what identifies them in the domain (paths, names, stable ids) rather than the
# random ids a run draws, without creation times: two runs over one folder store equal contents.
CATALOG_CONTENT = {
    "devices": "SELECT device_id, name, device_type, metadata FROM devices",
    "datasets": "SELECT dataset_id, name, root_path FROM datasets",
    "files": """SELECT dataset_id, relative_path, uri, size_bytes, format, content_hash, device_id,
        ingest_status, ingest_error, read_method, anchored, notes, identifiers FROM files""",
    "topics": "SELECT topic_id, name FROM topics",
    "topic_partitions": """SELECT f.relative_path, p.topic_id, p.device_id, p.schema_name,
        p.schema_encoding, p.message_count, p.partition_key, p.row_start, p.row_end
        FROM topic_partitions AS p LEFT JOIN files AS f USING (file_id)""",
    "timeline_extents": """SELECT f.relative_path, p.topic_id, p.partition_key, e.timeline_source,
        e.min_timestamp, e.max_timestamp, e.unix_epoch_offset_ns
        FROM timeline_extents AS e LEFT JOIN topic_partitions AS p USING (topic_part_id)
        LEFT JOIN files AS f ON f.file_id = e.file_id""",
    "activity_intervals": """SELECT f.relative_path, a.kind, a.start_ns, a.end_ns
        FROM activity_intervals AS a LEFT JOIN files AS f USING (file_id)""",
    "sessions": """SELECT session_id, name, min_timestamp_ns, max_timestamp_ns, origin, description,
        tags, metadata FROM sessions""",
    "session_files": """SELECT sf.session_id, f.relative_path, sf.range_min_timestamp_ns,
        sf.range_max_timestamp_ns FROM session_files AS sf LEFT JOIN files AS f USING (file_id)""",
    "session_devices": "SELECT session_id, device_id FROM session_devices",
}
# Keys that must be unique: a second row for one of them is a duplicate a concurrent writer made.
CATALOG_KEYS = {
    "files": "SELECT org_id, dataset_id, relative_path FROM files",
    "file ids": "SELECT file_id FROM files",
    "topics": "SELECT org_id, name FROM topics",
    "topic ids": "SELECT topic_id FROM topics",
    "topic partitions": "SELECT file_id, topic_id, partition_key FROM topic_partitions",
    "datasets": "SELECT org_id, root_path FROM datasets",
    "sessions": "SELECT session_id FROM sessions",
}


# What registration writes for one org, by paths and topic names (no ids, no times), so that two
# orgs that registered the same files compare equal.
REGISTERED_CONTENT = {
    "files": """SELECT relative_path, uri, size_bytes, format, content_hash, mtime_ns, fingerprint,
        device_id, ingest_status, ingest_error, read_method, anchored, notes, identifiers
        FROM files WHERE org_id = $org_id""",
    "topics": "SELECT name FROM topics WHERE org_id = $org_id",
    "topic_partitions": """SELECT f.relative_path, t.name, p.device_id, p.schema_name,
        p.schema_encoding, p.message_count, p.partition_key, p.row_start, p.row_end, p.min_wall_ns,
        p.max_wall_ns
        FROM topic_partitions AS p JOIN files AS f USING (file_id) JOIN topics AS t USING (topic_id)
        WHERE p.org_id = $org_id""",
    "timeline_extents": """SELECT f.relative_path, t.name, p.partition_key, e.timeline_source,
        e.min_timestamp, e.max_timestamp, e.unix_epoch_offset_ns, e.min_wall_ns, e.max_wall_ns
        FROM timeline_extents AS e JOIN topic_partitions AS p USING (topic_part_id)
        JOIN files AS f ON f.file_id = e.file_id JOIN topics AS t ON t.topic_id = e.topic_id
        WHERE e.org_id = $org_id""",
    "activity_intervals": """SELECT f.relative_path, a.kind, a.start_ns, a.end_ns
        FROM activity_intervals AS a JOIN files AS f USING (file_id) WHERE a.org_id = $org_id""",
    "sessions": """SELECT name, min_timestamp_ns, max_timestamp_ns FROM sessions
        WHERE org_id = $org_id""",
}


def registered_content(client: Client, org_id: str) -> dict[str, list[tuple]]:
    """What registration stored for ``org_id``: :data:`REGISTERED_CONTENT` as sorted rows."""
    return client.catalog.read(
        lambda tx: {
            table: sorted(tx.rows(sql, org_id=org_id), key=repr) for table, sql in REGISTERED_CONTENT.items()
        }
    )


def catalog_content(client: Client) -> dict[str, list[tuple]]:
    """Every table as sorted rows of :data:`CATALOG_CONTENT` (duplicates kept, so they count)."""
    return client.catalog.read(
        lambda tx: {table: sorted(tx.rows(sql), key=repr) for table, sql in CATALOG_CONTENT.items()}
    )


def duplicate_keys(client: Client) -> dict[str, list[tuple]]:
    """Keys of :data:`CATALOG_KEYS` held by more than one row."""
    return client.catalog.read(
        lambda tx: {
            what: rows
            for what, sql in CATALOG_KEYS.items()
            if (rows := tx.rows(f"SELECT * FROM ({sql}) GROUP BY ALL HAVING count(*) > 1"))
        }
    )


# What DuckDB's query log holds besides the statements a Tx runs: transaction control, the view
# Tx.insert registers its rows under, the calls switching the log, and DuckLake's own queries of
# its metadata database.
_NOT_STATEMENTS = (
    "BEGIN TRANSACTION", "COMMIT", "ROLLBACK", "USE lake", "DROP VIEW _rows_in_flight", "CALL ",
)  # fmt: skip
_METADATA = "__ducklake_metadata_"


@dataclass(frozen=True)
class Statements:
    """What one call ran: statements on the lake (through ``Tx``), and the queries DuckLake ran on
    its metadata database for them and for the commit (each a round trip to SQLite or PostgreSQL)."""

    lake: int
    metadata: int


def statements_of(client: Client, call: Callable[[], object]) -> Statements:
    """Count what ``call`` runs on ``client``'s catalog, from DuckDB's query log (on while it runs)."""
    connection = client.catalog.connection()
    connection.execute("CALL truncate_duckdb_logs()")
    connection.execute("CALL enable_logging('QueryLog')")
    try:
        call()
    finally:
        connection.execute("CALL disable_logging()")
    logged = [
        " ".join(str(message).split())
        for (message,) in connection.execute(
            "SELECT message FROM duckdb_logs WHERE type = 'QueryLog'"
        ).fetchall()
    ]
    connection.execute("CALL truncate_duckdb_logs()")
    statements = [m for m in logged if m and not m.startswith(_NOT_STATEMENTS) and "duckdb_logs" not in m]
    metadata = [m for m in statements if _METADATA in m]
    return Statements(lake=len(statements) - len(metadata), metadata=len(metadata))


BATCH_STEP = "topic_extents.read_file_batch["  # step keys of the mapped ingestion steps


@dataclass(frozen=True)
class StepSpan:
    """When one batch step's process was launched, when its op started and ended, and its pid."""

    launched: float
    started: float
    ended: float
    pid: str


def batch_step_spans(instance: DagsterInstance) -> dict[str, StepSpan]:
    """The ingestion batch steps of the one run ``instance`` holds, by step key."""
    (run,) = instance.get_runs()
    times: dict[str, dict[str, float | str]] = {}
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None or not (event.step_key or "").startswith(BATCH_STEP):
            continue
        step = times.setdefault(event.step_key, {})
        if event.event_type == DagsterEventType.STEP_WORKER_STARTING:
            step["launched"] = entry.timestamp
        elif event.event_type == DagsterEventType.STEP_WORKER_STARTED:
            step["pid"] = event.event_specific_data.metadata["pid"].value
        elif event.event_type == DagsterEventType.STEP_START:
            step["started"] = entry.timestamp
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            step["ended"] = entry.timestamp
    return {
        key: StepSpan(
            launched=float(step.get("launched", step["started"])),  # in-process: no process launched
            started=float(step["started"]),
            ended=float(step["ended"]),
            pid=str(step.get("pid", "")),
        )
        for key, step in times.items()
    }
