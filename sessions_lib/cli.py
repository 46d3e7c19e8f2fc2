"""The ``sessions`` command: a thin shell over the library.

sessions ingest recordings/2026-04-23 --catalog /srv/fleet
sessions list --device dv_falcon --since 2026-04-23T00:00:00Z --catalog /srv/fleet
sessions show se_3f9a0c1d2b4e5f60 --json --catalog /srv/fleet
echo 'SELECT * FROM session_bounds' | sessions sql --catalog /srv/fleet

Conventions a shell user can rely on:

- results go to stdout (a table, or with ``--json`` only JSON: timestamps as integer Unix-epoch
  nanoseconds plus ISO-8601 UTC strings); errors and progress go to stderr;
- exit 0 on success, 1 when the library refuses or fails (``error: <message>`` on stderr), 2 for
  bad arguments (typer's usage error);
- only ``ingest`` and ``run`` create a catalog; every other command refuses a folder without one,
  so a mistyped ``--catalog`` never leaves an empty catalog behind.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sessions_lib.client import Client
from sessions_lib.device import Device
from sessions_lib.errors import CatalogError, InvalidRequestError, SessionsError
from sessions_lib.ingest import ingest_folder
from sessions_lib.readers.tabular import NS_PER_UNIT, TabularOptions
from sessions_lib.records import SessionRecord
from sessions_lib.session import Session
from sessions_lib.sql import connect
from sessions_lib.summary import format_ns, summarize

app = typer.Typer(no_args_is_help=True, help="Robotics sessions: recordings, extents and sessions.")
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_S = 1_000_000_000
_PIPED_WIDTH = 250
# What `sessions sql` runs: queries only. Writes go through the library, which keeps every
# session's stored bounds consistent with its contributions in the same transaction.
_READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


def parse_timestamp_ns(value: str) -> int:
    """A point in time: integer Unix-epoch nanoseconds, or an ISO-8601 time (UTC unless it says)."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither an ISO-8601 time nor integer nanoseconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


CatalogOption = Annotated[
    str | None,
    typer.Option(
        "--catalog",
        help="Catalog folder, or a PostgreSQL URL with $SESSIONS_DATA_PATH naming its data "
        "(default: $SESSIONS_CATALOG or ./.sessions).",
    ),
]
OrgOption = Annotated[str | None, typer.Option("--org", help="Org to act in, when you belong to several.")]
JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print JSON on stdout (timestamps as int ns and ISO) instead of tables."),
]
SessionIdArgument = Annotated[str, typer.Argument(help="Session id (se_...).", show_default=False)]
SinceOption = Annotated[
    int | None,
    typer.Option(
        "--since",
        parser=parse_timestamp_ns,
        metavar="ISO|NS",
        help="Only what ends at or after this time (ISO-8601 UTC or ns).",
    ),
]
UntilOption = Annotated[
    int | None,
    typer.Option(
        "--until",
        parser=parse_timestamp_ns,
        metavar="ISO|NS",
        help="Only what starts at or before this time (ISO-8601 UTC or ns).",
    ),
]


def _client(catalog: str | None, *, must_exist: bool = False) -> Client:
    """The caller of the environment, on ``catalog`` if given.

    With ``must_exist`` a folder without a catalog is refused instead of created empty: a read
    (or a change to existing sessions) on a mistyped path should say so, not answer "nothing".
    """
    base = Client.from_env()
    client = base if catalog is None else Client(catalog, user=base.user, org_ids=base.org_ids)
    location = client.catalog.location
    if must_exist and not location.exists():
        path = location.metadata_path
        raise CatalogError(
            f"no catalog in {path.parent} ({path.name} is missing): "
            "create one with `sessions ingest` or `sessions run`, or pass --catalog"
        )
    return client


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code=1)


@contextmanager
def _command(catalog: str | None, *, must_exist: bool = True) -> Iterator[Client]:
    """The command's client; a library error becomes ``error: <message>`` on stderr and exit 1."""
    client: Client | None = None
    try:
        client = _client(catalog, must_exist=must_exist)
        yield client
    except SessionsError as error:
        _fail(str(error))
    finally:
        if client is not None:
            client.catalog.close()


# -- formatting -----------------------------------------------------------------------------


def iso_ns(timestamp_ns: int | None) -> str | None:
    """Unix-epoch nanoseconds as an exact ISO-8601 UTC string, e.g. ``2026-04-23T00:00:00.000000001Z``."""
    if timestamp_ns is None:
        return None
    seconds, fraction_ns = divmod(timestamp_ns, _NS_PER_S)
    moment = _EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction_ns:09d}Z"


def _iso_datetime(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat() + "Z"


def _json_value(value: Any) -> Any:
    """JSON for what DuckDB and the records hand back beyond JSON's own types."""
    if isinstance(value, datetime):
        return _iso_datetime(value) if value.tzinfo is not None else value.isoformat()
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


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=_json_value))


def _text(value: Any) -> Text:
    """A table cell shown as it is (never read as rich markup); ``-`` for nothing."""
    if value is None or value == "":
        return Text("-", style="dim")
    if isinstance(value, list | tuple):
        return Text(", ".join(str(v) for v in value) or "-")
    return Text(str(value))


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table()
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_text(value) for value in row))
    return table


def _print_table(title: str, table: Table) -> None:
    """A titled table on stdout; piped (not a terminal) it is not folded to 80 columns, so grep finds
    whole rows."""
    out = console if console.is_terminal else Console(file=console.file, width=_PIPED_WIDTH)
    out.print(title, highlight=False, markup=False)
    out.print(table)


def _bounds_json(prefix: str, min_ns: int | None, max_ns: int | None) -> dict[str, Any]:
    return {
        f"{prefix}min_timestamp_ns": min_ns,
        f"{prefix}max_timestamp_ns": max_ns,
        f"{prefix}start": iso_ns(min_ns),
        f"{prefix}end": iso_ns(max_ns),
    }


def _record_json(record: SessionRecord) -> dict[str, Any]:
    return {
        "session_id": record.session_id,
        "name": record.name,
        "org_id": record.org_id,
        "origin": record.origin,
        "description": record.description,
        "tags": list(record.tags),
        "metadata": dict(record.metadata),
        **_bounds_json("", record.min_timestamp_ns, record.max_timestamp_ns),
        "created": _iso_datetime(record.created),
        "created_by": record.created_by,
        "modified": _iso_datetime(record.modified),
        "modified_by": record.modified_by,
    }


# -- what a session holds -------------------------------------------------------------------


def _devices(session: Session, client: Client) -> list[dict[str, Any]]:
    return [
        {"device_id": device_id, "name": Device.from_id(device_id, session.org_id, client).name}
        for device_id in session.list_devices()
    ]


def _topics(session: Session) -> list[dict[str, Any]]:
    return [{"topic_id": topic.topic_id, "name": topic.name} for topic in session.list_topics()]


def _files(session_id: str, org: str | None, client: Client) -> list[dict[str, Any]]:
    """The session's contributions with their files and wall-clock windows, in ``list_files`` order."""
    from sessions_lib.frames import session_files_frame

    frame = session_files_frame(session_id, org_id=org, roboto_client=client)
    return [
        {
            "file_id": row["file_id"],
            "relative_path": row["relative_path"],
            "dataset_id": row["dataset_id"],
            "device_id": row["device_id"],
            "range_min_timestamp_ns": row["range_min_timestamp_ns"],
            "range_max_timestamp_ns": row["range_max_timestamp_ns"],
            **_bounds_json("window_", row["window_min_ns"], row["window_max_ns"]),
        }
        for row in frame.iter_rows(named=True)
    ]


def _files_table(files: list[dict[str, Any]]) -> Table:
    """One row per contribution; a narrowed one's window is its range."""
    return _table(
        ["file", "id", "device", "contribution", "window start", "window end"],
        (
            (
                f["relative_path"],
                f["file_id"],
                f["device_id"],
                "whole file" if f["range_min_timestamp_ns"] is None else "range",
                format_ns(f["window_min_timestamp_ns"]),
                format_ns(f["window_max_timestamp_ns"]),
            )
            for f in files
        ),
    )


def _topics_table(topics: list[dict[str, Any]]) -> Table:
    return _table(["topic", "id"], ((t["name"], t["topic_id"]) for t in topics))


def _print_bounds(session: Session) -> None:
    console.print(
        f"session {session.session_id}: {format_ns(session.min_timestamp_ns)} .. "
        f"{format_ns(session.max_timestamp_ns)} "
        f"(min_timestamp_ns={session.min_timestamp_ns}, max_timestamp_ns={session.max_timestamp_ns})",
        highlight=False,
        markup=False,
    )


# -- commands -------------------------------------------------------------------------------


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of recordings; it becomes (or updates) a dataset.")],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    name: Annotated[str | None, typer.Option(help="Dataset name (default: the folder's name).")] = None,
    timestamp_column: Annotated[
        str, typer.Option(help="Timestamp column of Parquet/CSV files.")
    ] = "timestamp",
    timestamp_unit: Annotated[str, typer.Option(help=f"Its unit: one of {', '.join(NS_PER_UNIT)}.")] = "ns",
) -> None:
    """Read every recording under FOLDER into the catalog (unchanged files are skipped)."""
    with _command(catalog, must_exist=False) as client:
        tabular = TabularOptions(timestamp_column=timestamp_column, timestamp_unit=timestamp_unit)  # type: ignore[arg-type]
        report = ingest_folder(
            folder,
            dataset_name=name,
            tabular=tabular,
            show_progress=True,
            org_id=org,
            roboto_client=client,
        )
    console.print(report.summary(), highlight=False, markup=False)


@app.command()
def summary(catalog: CatalogOption = None, org: OrgOption = None) -> None:
    """One line per session: name, devices, bounds, files and topics."""
    with _command(catalog) as client:
        text = summarize(org, roboto_client=client)
    console.print(text, highlight=False, markup=False)


@app.command("list")
def list_sessions(
    catalog: CatalogOption = None,
    org: OrgOption = None,
    device: Annotated[str | None, typer.Option("--device", help="Only sessions of this device id.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Only sessions whose name contains this (case-insensitive).")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
) -> None:
    """The org's sessions: name, id, devices, start, end, files and topics."""
    from sessions_lib.frames import sessions_frame

    with _command(catalog) as client, err_console.status("reading sessions"):
        frame = sessions_frame(
            org, device_id=device, name_contains=name, start_ns=since, end_ns=until, roboto_client=client
        ).collect()
    sessions = [
        {
            "session_id": row["session_id"],
            "name": row["name"],
            "origin": row["origin"],
            "device_ids": list(row["device_ids"] or []),
            **_bounds_json("", row["min_timestamp_ns"], row["max_timestamp_ns"]),
            "file_count": row["file_count"],
            "topic_count": row["topic_count"],
        }
        for row in frame.iter_rows(named=True)
    ]
    if as_json:
        _print_json(sessions)
        return
    _print_table(
        f"{len(sessions)} session(s)",
        _table(
            ["name", "id", "devices", "start", "end", "files", "topics"],
            (
                (
                    s["name"],
                    s["session_id"],
                    s["device_ids"],
                    format_ns(s["min_timestamp_ns"]),
                    format_ns(s["max_timestamp_ns"]),
                    s["file_count"],
                    s["topic_count"],
                )
                for s in sessions
            ),
        ),
    )


@app.command()
def show(
    session_id: SessionIdArgument,
    catalog: CatalogOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """One session: its fields, devices, files (with ranges and windows) and topics."""
    with _command(catalog) as client:
        session = Session.from_id(session_id, org, client)
        detail = {
            **_record_json(session.record),
            "devices": _devices(session, client),
            "files": _files(session.session_id, session.org_id, client),
            "topics": _topics(session),
        }
    if as_json:
        _print_json(detail)
        return
    _print_table(f"session {session_id}", _table(["field", "value"], _field_rows(detail)))
    devices = ((d["device_id"], d["name"]) for d in detail["devices"])
    _print_table(f"{len(detail['devices'])} device(s)", _table(["device", "name"], devices))
    _print_table(f"{len(detail['files'])} file(s)", _files_table(detail["files"]))
    _print_table(f"{len(detail['topics'])} topic(s)", _topics_table(detail["topics"]))


def _field_rows(detail: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in detail.items():
        if key in ("devices", "files", "topics"):
            continue
        if key == "metadata":
            value = json.dumps(value, sort_keys=True) if value else None
        yield key, value


@app.command()
def topics(
    session_id: SessionIdArgument,
    catalog: CatalogOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """The session's topics: those with data inside their file's contribution window."""
    with _command(catalog) as client:
        found = _topics(Session.from_id(session_id, org, client))
    if as_json:
        _print_json(found)
    else:
        _print_table(f"{len(found)} topic(s) of session {session_id}", _topics_table(found))


@app.command()
def files(
    session_id: SessionIdArgument,
    catalog: CatalogOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """The session's files: each contribution's optional range and its wall-clock window."""
    with _command(catalog) as client:
        found = _files(session_id, org, client)
    if as_json:
        _print_json(found)
    else:
        _print_table(f"{len(found)} file(s) of session {session_id}", _files_table(found))


@app.command("sql")
def run_sql(
    query: Annotated[
        str | None, typer.Argument(help="A query (SELECT/EXPLAIN); without it, SQL is read from stdin.")
    ] = None,
    catalog: CatalogOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a read-only DuckDB query on the catalog (QUERY, or SQL piped on stdin).

    The org's views: session_bounds, session_files, session_topics, device_sessions. Tables: lake.<table>.
    """
    if query is None:
        if sys.stdin.isatty():
            raise typer.BadParameter("give a QUERY, or pipe SQL on stdin", param_hint="QUERY")
        query = sys.stdin.read()
    if not query.strip():
        raise typer.BadParameter("the query is empty", param_hint="QUERY")
    with _command(catalog) as client, closing(connect(org, client)) as connection:
        try:
            statements = connection.extract_statements(query)
            writes = [s for s in statements if s.type not in _READ_STATEMENTS]
            if writes:
                raise InvalidRequestError(
                    f"sessions sql only reads (SELECT, EXPLAIN); got {writes[0].type.name}: change "
                    "sessions with `sessions create/add/remove` or the Python API, which keep bounds right"
                )
            if not statements:
                raise InvalidRequestError("the query holds no SQL statement")
            for statement in statements:
                result = connection.execute(statement)
            columns = [column[0] for column in result.description or []]
            rows = result.fetchall()
        except duckdb.Error as error:
            _fail(f"SQL: {str(error).strip().splitlines()[0]}")
    if as_json:
        _print_json([dict(zip(columns, row, strict=True)) for row in rows])
    else:
        _print_table(f"{len(rows)} row(s)", _table(columns, rows))


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Session name (at most 120 characters).")],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    device: Annotated[
        list[str] | None, typer.Option("--device", help="Attach this device id (repeatable).")
    ] = None,
    description: Annotated[str | None, typer.Option(help="A description.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a session by hand; prints its id."""
    with _command(catalog) as client:
        session = Session.create(name, device or [], org, client, description=description, tags=tag or [])
        detail = {**_record_json(session.record), "device_ids": list(session.list_devices())}
    if as_json:
        _print_json(detail)
    else:
        typer.echo(session.session_id)


@app.command()
def add(
    session_id: SessionIdArgument,
    file_id: Annotated[str, typer.Argument(help="File id (fl_...).", show_default=False)],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    range_min: Annotated[
        int | None,
        typer.Option(
            "--min",
            parser=parse_timestamp_ns,
            metavar="ISO|NS",
            help="Range start (ns or ISO); give with --max.",
        ),
    ] = None,
    range_max: Annotated[
        int | None,
        typer.Option(
            "--max",
            parser=parse_timestamp_ns,
            metavar="ISO|NS",
            help="Range end (ns or ISO); give with --min.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a file to a session, whole or narrowed to [--min, --max]; prints the new bounds."""
    with _command(catalog) as client:
        session = Session.from_id(session_id, org, client).add_file(file_id, range_min, range_max)
    _report_bounds(session, as_json)


@app.command()
def remove(
    session_id: SessionIdArgument,
    file_ids: Annotated[list[str], typer.Argument(help="File ids (fl_...) to remove.", show_default=False)],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove files from a session; prints the new bounds."""
    with _command(catalog) as client:
        session = Session.from_id(session_id, org, client).remove_files(file_ids)
    _report_bounds(session, as_json)


def _report_bounds(session: Session, as_json: bool) -> None:
    if as_json:
        _print_json(
            {
                "session_id": session.session_id,
                **_bounds_json("", session.min_timestamp_ns, session.max_timestamp_ns),
            }
        )
    else:
        _print_bounds(session)


def _check_width(width_px: int) -> int:
    """The timeline's own minimum width, checked as an argument (exit 2) before anything is read."""
    from sessions_lib.timeline import MIN_WIDTH_PX

    if width_px < MIN_WIDTH_PX:
        raise typer.BadParameter(f"{width_px} is too narrow: the picture needs at least {MIN_WIDTH_PX} px")
    return width_px


@app.command()
def timeline(
    out: Annotated[Path, typer.Argument(help="PNG file to write.", dir_okay=False, show_default=False)],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Draw one session with its topics' extents.")
    ] = None,
    device: Annotated[
        list[str] | None, typer.Option("--device", help="Only this device id (repeatable).")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    width: Annotated[
        int, typer.Option("--width", callback=_check_width, help="Image width in pixels.")
    ] = 1600,
) -> None:
    """Draw sessions per device over time (or one session's topics) as a PNG; prints its path."""
    from sessions_lib.timeline import draw_timeline

    with _command(catalog) as client, err_console.status(f"drawing {out}"):
        written = draw_timeline(
            out,
            org_id=org,
            device_ids=device or None,
            start_ns=since,
            end_ns=until,
            session_id=session,
            roboto_client=client,
            width_px=width,
        )
    typer.echo(str(written))


@app.command()
def run(
    data_dir: Annotated[
        Path,
        typer.Argument(
            help="Fleet folder: devices.yaml and the dataset folders.", exists=True, file_okay=False
        ),
    ] = Path("data"),
    catalog: CatalogOption = None,
) -> None:
    """Run the main pipeline job over DATA_DIR and print its summary; exit 1 if a step or check failed.

    Every asset and check runs in-process, in the org named by DATA_DIR/devices.yaml.
    """
    from pipelines.resources import FleetResource
    from pipelines.run import run_fleet

    location = None if catalog is None else str(catalog)
    with _command(catalog, must_exist=False):
        FleetResource(root=str(data_dir)).metadata()  # a folder without valid metadata fails here, briefly
        with err_console.status(f"running the pipeline over {data_dir}"):
            passed, report = run_fleet(data_dir, location)
    console.print(report, highlight=False, markup=False)
    if not passed:
        raise typer.Exit(code=1)
