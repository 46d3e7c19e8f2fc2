"""How results look: rich tables for people, JSON for machines (timestamps as int ns and ISO).

Times of unanchored sessions and files (``"anchored": false``: a boot-relative or simulated clock)
are shown as relative time, ``t+00:03:11.000`` in tables and ``t+00:03:11.000000000`` in JSON,
never as 1970 dates; their ``*_timestamp_ns`` integers stay as stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sessions_lib.cli.shell import console
from sessions_lib.model.timestamps import format_ns, iso_ns

if TYPE_CHECKING:  # the API (and with it DuckDB) loads when a command reads the catalog
    from sessions_lib.api.session import Session
    from sessions_lib.catalog import Tx
    from sessions_lib.client import Client
    from sessions_lib.model.records import SessionRecord

PIPED_WIDTH = 250  # columns of a table piped to a file or grep: rows are not folded

# -- formatting -----------------------------------------------------------------------------


def iso_datetime(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat() + "Z"


def json_value(value: Any) -> Any:
    """JSON for what DuckDB and the records hand back beyond JSON's own types."""
    if isinstance(value, datetime):
        return iso_datetime(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=json_value))


def cell(value: Any) -> Text:
    """A table cell shown as it is (never read as rich markup); ``-`` for nothing."""
    if value is None or value == "":
        return Text("-", style="dim")
    if isinstance(value, list | tuple):
        return Text(", ".join(str(v) for v in value) or "-")
    return Text(str(value))


def make_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    return table


def print_table(title: str, table: Table) -> None:
    """A titled table on stdout; piped (not a terminal) it is not folded to 80 columns, so grep finds
    whole rows."""
    out = console if console.is_terminal else Console(file=console.file, width=PIPED_WIDTH)
    out.print(title, highlight=False, markup=False)
    out.print(table)


def bounds_json(prefix: str, min_ns: int | None, max_ns: int | None, anchored: bool) -> dict[str, Any]:
    """The bounds as int ns and as strings: ISO UTC when anchored, else relative ``t+...``."""
    return {
        f"{prefix}min_timestamp_ns": min_ns,
        f"{prefix}max_timestamp_ns": max_ns,
        f"{prefix}start": iso_ns(min_ns, anchored),
        f"{prefix}end": iso_ns(max_ns, anchored),
    }


def record_json(record: SessionRecord, anchored: bool) -> dict[str, Any]:
    return {
        "session_id": record.session_id,
        "name": record.name,
        "org_id": record.org_id,
        "origin": record.origin,
        "description": record.description,
        "tags": list(record.tags),
        "metadata": dict(record.metadata),
        "anchored": anchored,
        **bounds_json("", record.min_timestamp_ns, record.max_timestamp_ns, anchored),
        "created": iso_datetime(record.created),
        "created_by": record.created_by,
        "modified": iso_datetime(record.modified),
        "modified_by": record.modified_by,
    }


# -- what a session holds -------------------------------------------------------------------


def session_devices(session: Session, client: Client) -> list[dict[str, Any]]:
    from sessions_lib.api.device import Device

    return [
        {"device_id": device_id, "name": Device.from_id(device_id, session.org_id, client).name}
        for device_id in session.list_devices()
    ]


def session_topics(session: Session) -> list[dict[str, Any]]:
    return [{"topic_id": topic.topic_id, "name": topic.name} for topic in session.list_topics()]


def session_anchored(session_id: str, org: str | None, client: Client) -> bool:
    """Whether the session is anchored (the ``session_anchored`` view); an unknown one is not found."""
    from sessions_lib.errors import NotFoundError
    from sessions_lib.surfaces.sql import anchored_sessions

    found = anchored_sessions(org, client, session_id)
    if session_id not in found:
        raise NotFoundError("session", session_id, client.resolve_org(org, "org_id"))
    return found[session_id]


def session_files(session_id: str, org: str | None, client: Client) -> list[dict[str, Any]]:
    """The session's contributions with their files and windows, in ``list_files`` order; each
    file says whether it is ``anchored`` (its window's strings are relative when not).

    The rows of the ``session_files`` view (its rules, scoped to this one session), read on the
    client's catalog like the rest of a command: no second connection, no polars.
    """
    from sessions_lib.queries import ONE_SESSION, query_sql, with_rules
    from sessions_lib.store.sessions import require_session

    org_id = client.resolve_org(org, "org_id")
    columns = (
        "file_id, relative_path, dataset_id, device_id, range_min_timestamp_ns, range_max_timestamp_ns, "
        "window_min_ns, window_max_ns, anchored"
    )
    view = query_sql("views/session_files")
    sql = with_rules(ONE_SESSION) + f"SELECT {columns} FROM ({view}) ORDER BY file_id"

    def read(tx: Tx) -> list[tuple[Any, ...]]:
        require_session(tx, org_id, session_id)
        return tx.rows(sql, org_id=org_id, session_id=session_id)

    return [
        {
            "file_id": file_id,
            "relative_path": relative_path,
            "dataset_id": dataset_id,
            "device_id": device_id,
            "range_min_timestamp_ns": range_min,
            "range_max_timestamp_ns": range_max,
            "anchored": anchored,
            **bounds_json("window_", window_min, window_max, anchored),
        }
        for (
            file_id,
            relative_path,
            dataset_id,
            device_id,
            range_min,
            range_max,
            window_min,
            window_max,
            anchored,
        ) in client.catalog.read(read)
    ]


def files_table(files: list[dict[str, Any]]) -> Table:
    """One row per contribution; a narrowed one's window is its range."""
    return make_table(
        ["file", "id", "device", "contribution", "window start", "window end"],
        (
            (
                f["relative_path"],
                f["file_id"],
                f["device_id"],
                "whole file" if f["range_min_timestamp_ns"] is None else "range",
                format_ns(f["window_min_timestamp_ns"], f["anchored"]),
                format_ns(f["window_max_timestamp_ns"], f["anchored"]),
            )
            for f in files
        ),
    )


def topics_table(topics: list[dict[str, Any]]) -> Table:
    return make_table(["topic", "id"], ((t["name"], t["topic_id"]) for t in topics))


def print_bounds(session: Session, anchored: bool) -> None:
    console.print(
        f"session {session.session_id}: {format_ns(session.min_timestamp_ns, anchored)} .. "
        f"{format_ns(session.max_timestamp_ns, anchored)} "
        f"(min_timestamp_ns={session.min_timestamp_ns}, max_timestamp_ns={session.max_timestamp_ns})",
        highlight=False,
        markup=False,
    )
