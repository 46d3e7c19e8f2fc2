"""The ``sessions`` command: a thin shell over the library.

sessions ingest recordings/2026-04-23 --catalog /srv/fleet
sessions list --device dv_falcon --since 2026-04-23T00:00:00Z --catalog /srv/fleet
sessions show se_3f9a0c1d2b4e5f60 --json --catalog /srv/fleet
echo 'SELECT * FROM session_bounds' | sessions sql --catalog /srv/fleet

Conventions a shell user can rely on:

- results go to stdout (a table, or with ``--json`` only JSON: timestamps as integer Unix-epoch
  nanoseconds plus ISO-8601 UTC strings; an unanchored session or file, ``"anchored": false``,
  has relative strings ``t+HH:MM:SS...`` instead); errors and progress go to stderr;
- exit 0 on success, 1 when the library refuses or fails (``error: <message>`` on stderr), 2 for
  bad arguments (typer's usage error);
- only ``ingest`` and ``run`` create a catalog; every other command refuses a folder without one,
  so a mistyped ``--catalog`` never leaves an empty catalog behind.

Each command imports what it runs inside its function (the readers for ``ingest``, matplotlib for
``timeline``, ...), so ``sessions --help`` or ``sessions list`` loads none of what they do not use.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sessions_lib.cli.output import (
    bounds_json,
    files_table,
    make_table,
    print_bounds,
    print_json,
    print_table,
    record_json,
    session_anchored,
    session_devices,
    session_files,
    session_topics,
    topics_table,
)
from sessions_lib.cli.shell import (
    CatalogOption,
    JsonOption,
    OrgOption,
    SessionIdArgument,
    SinceOption,
    UntilOption,
    command,
    console,
    err_console,
    fail,
    parse_timestamp_ns,
    refuse_reversed_window,
)
from sessions_lib.model.requests import FILES_PER_TRANSACTION
from sessions_lib.model.timestamps import NS_PER_S, NS_PER_UNIT, format_ns

if TYPE_CHECKING:
    from sessions_lib.api.session import Session

app = typer.Typer(no_args_is_help=True, help="Robotics sessions: recordings, extents and sessions.")


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
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Tell unchanged files by a full content hash (reads every byte) rather than by size, "
            "modification time and a fingerprint of the first and last MiB.",
        ),
    ] = False,
    files_per_transaction: Annotated[
        int, typer.Option(min=1, help="Files written per catalog transaction.")
    ] = FILES_PER_TRANSACTION,
) -> None:
    """Read every new or changed recording under FOLDER into the catalog (unchanged files are skipped)."""
    from sessions_lib.ingest import ingest_folder
    from sessions_lib.readers.options import TabularOptions

    with command(catalog, must_exist=False) as client:
        tabular = TabularOptions(timestamp_column=timestamp_column, timestamp_unit=timestamp_unit)  # type: ignore[arg-type]
        report = ingest_folder(
            folder,
            dataset_name=name,
            tabular=tabular,
            verify=verify,
            files_per_transaction=files_per_transaction,
            show_progress=True,
            org_id=org,
            roboto_client=client,
        )
    console.print(report.summary(), highlight=False, markup=False)


@app.command()
def summary(catalog: CatalogOption = None, org: OrgOption = None) -> None:
    """One line per session: name, devices, bounds, files and topics."""
    from sessions_lib.surfaces.summary import summarize

    with command(catalog) as client:
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
    from sessions_lib.api.device import Device
    from sessions_lib.surfaces.frames import OrgFrames

    refuse_reversed_window(since, until)
    with (
        command(catalog) as client,
        err_console.status("reading sessions"),
        OrgFrames(org, client) as frames,
    ):
        if device is not None:
            Device.from_id(device, org, roboto_client=client)  # an unknown device is not found, not empty
        rows = frames.sessions_rows(device_id=device, name_contains=name, start_ns=since, end_ns=until)
    sessions = [
        {
            "session_id": row["session_id"],
            "name": row["name"],
            "origin": row["origin"],
            "device_ids": list(row["device_ids"] or []),
            "anchored": row["anchored"],
            **bounds_json("", row["min_timestamp_ns"], row["max_timestamp_ns"], row["anchored"]),
            "file_count": row["file_count"],
            "topic_count": row["topic_count"],
        }
        for row in rows
    ]
    if as_json:
        print_json(sessions)
        return
    print_table(
        f"{len(sessions)} session(s)",
        make_table(
            ["name", "id", "devices", "start", "end", "files", "topics"],
            (
                (
                    s["name"],
                    s["session_id"],
                    s["device_ids"],
                    format_ns(s["min_timestamp_ns"], s["anchored"]),
                    format_ns(s["max_timestamp_ns"], s["anchored"]),
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
    from sessions_lib.api.session import Session

    with command(catalog) as client:
        session = Session.from_id(session_id, org, client)
        detail = {
            **record_json(session.record, session_anchored(session_id, org, client)),
            "devices": session_devices(session, client),
            "files": session_files(session.session_id, session.org_id, client),
            "topics": session_topics(session),
        }
    if as_json:
        print_json(detail)
        return
    print_table(f"session {session_id}", make_table(["field", "value"], _field_rows(detail)))
    devices = ((d["device_id"], d["name"]) for d in detail["devices"])
    print_table(f"{len(detail['devices'])} device(s)", make_table(["device", "name"], devices))
    print_table(f"{len(detail['files'])} file(s)", files_table(detail["files"]))
    print_table(f"{len(detail['topics'])} topic(s)", topics_table(detail["topics"]))


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
    from sessions_lib.api.session import Session

    with command(catalog) as client:
        found = session_topics(Session.from_id(session_id, org, client))
    if as_json:
        print_json(found)
    else:
        print_table(f"{len(found)} topic(s) of session {session_id}", topics_table(found))


@app.command()
def files(
    session_id: SessionIdArgument,
    catalog: CatalogOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """The session's files: each contribution's optional range and its window (relative time for an
    unanchored file)."""
    with command(catalog) as client:
        found = session_files(session_id, org, client)
    if as_json:
        print_json(found)
    else:
        print_table(f"{len(found)} file(s) of session {session_id}", files_table(found))


@app.command("sql")
def run_sql(
    query: Annotated[
        str | None, typer.Argument(help="A query (SELECT/EXPLAIN); without it, SQL is read from stdin.")
    ] = None,
    catalog: CatalogOption = None,
    org: OrgOption = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="Views of every org's rows (operators); still read-only.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Run one read-only query on the catalog (QUERY, or SQL piped on stdin): a SELECT, or EXPLAIN of one.

    It reads the org's views: sessions, files, topics, topic_partitions, timeline_extents, devices,
    datasets, session_devices, activity_intervals, session_files, session_bounds, session_topics,
    device_sessions, session_anchored (with --admin, every org's rows).
    """
    import duckdb

    from sessions_lib.surfaces.sql import connect

    if query is None:
        if sys.stdin.isatty():
            raise typer.BadParameter("give a QUERY, or pipe SQL on stdin", param_hint="QUERY")
        query = sys.stdin.read()
    if not query.strip():
        raise typer.BadParameter("the query is empty", param_hint="QUERY")
    with command(catalog) as client, closing(connect(org, client, admin=admin)) as connection:
        try:
            result = connection.sql(query)
            columns, rows = result.columns, result.fetchall()
        except duckdb.Error as error:
            fail(f"SQL: {str(error).strip().splitlines()[0]}")
    if as_json:
        print_json([dict(zip(columns, row, strict=True)) for row in rows])
    else:
        print_table(f"{len(rows)} row(s)", make_table(columns, rows))


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
    from sessions_lib.api.session import Session

    with command(catalog) as client:
        session = Session.create(name, device or [], org, client, description=description, tags=tag or [])
        # A new session holds no files: it is anchored.
        detail = {**record_json(session.record, anchored=True), "device_ids": list(session.list_devices())}
    if as_json:
        print_json(detail)
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
    from sessions_lib.api.session import Session

    with command(catalog) as client:
        session = Session.from_id(session_id, org, client).add_file(file_id, range_min, range_max)
        anchored = session_anchored(session_id, org, client)
    _report_bounds(session, anchored, as_json)


@app.command()
def remove(
    session_id: SessionIdArgument,
    file_ids: Annotated[list[str], typer.Argument(help="File ids (fl_...) to remove.", show_default=False)],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove files from a session; prints the new bounds."""
    from sessions_lib.api.session import Session

    with command(catalog) as client:
        session = Session.from_id(session_id, org, client).remove_files(file_ids)
        anchored = session_anchored(session_id, org, client)
    _report_bounds(session, anchored, as_json)


@app.command()
def anchor(
    file_id: Annotated[str, typer.Argument(help="File id (fl_...).", show_default=False)],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    offset: Annotated[
        int | None,
        typer.Option(
            parser=parse_timestamp_ns,
            metavar="ISO|NS",
            help="The Unix time of the clock's zero (e.g. a boot), added to the file's times.",
        ),
    ] = None,
    start: Annotated[
        int | None,
        typer.Option(parser=parse_timestamp_ns, metavar="ISO|NS", help="The file's earliest time, known."),
    ] = None,
    topic: Annotated[
        str | None, typer.Option(help="Correct only this topic's clock (with --offset).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Anchor a file whose clock is not Unix time (a boot-relative log, a simulator run): give
    --offset or --start. The file's extents and the bounds of sessions holding it move at once;
    inferred sessions follow on the next `sessions run`."""
    from sessions_lib.api.file import File

    if (offset is None) == (start is None):
        raise typer.BadParameter("give one of --offset and --start", param_hint="--offset/--start")
    if start is not None and topic is not None:
        raise typer.BadParameter("--topic goes with --offset only", param_hint="--topic")
    with command(catalog) as client:
        file = File.from_id(file_id, org, client)
        if offset is not None:
            file.set_timeline_offset(offset, topic)
        else:
            assert start is not None  # one of the two, checked above
            file.set_start_time(start)
        spans = [span for t in file.list_topics() for span in t.wall_spans]
    window = (min(lo for lo, _ in spans), max(hi for _, hi in spans)) if spans else (None, None)
    anchored = file.anchored is not False
    if as_json:
        print_json(
            {
                "file_id": file.file_id,
                "anchored": file.anchored,
                "timeline_offset_ns": file.timeline_offset_ns,
                **bounds_json("window_", window[0], window[1], anchored),
            }
        )
    else:
        console.print(
            f"file {file.file_id} ({file.relative_path}): clock zero at "
            f"{format_ns(file.timeline_offset_ns)}, "
            f"{format_ns(window[0], anchored)} .. {format_ns(window[1], anchored)}",
            highlight=False,
            markup=False,
        )


@app.command()
def coverage(
    device_id: Annotated[str, typer.Argument(help="Device id (dv_...).", show_default=False)],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    tolerance: Annotated[
        float, typer.Option(min=0, help="Merge ranges whose gap is at most this many seconds.")
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """When a device has data: its wall-clock ranges, from the catalog's extents alone."""
    from sessions_lib.surfaces.frames import device_coverage_frame

    refuse_reversed_window(since, until)
    tolerance_ns = round(tolerance * NS_PER_S)
    with command(catalog) as client:
        frame = device_coverage_frame(
            device_id,
            start_ns=since,
            end_ns=until,
            tolerance_ns=tolerance_ns,
            org_id=org,
            roboto_client=client,
        )
    ranges = [
        {
            **bounds_json("", r["start_ns"], r["end_ns"], True),
            "extents": r["extent_count"],
            "files": r["file_count"],
        }
        for r in frame.iter_rows(named=True)
    ]
    if as_json:
        print_json(ranges)
        return
    print_table(
        f"{len(ranges)} range(s) with data of {device_id}",
        make_table(
            ["start", "end", "extents", "files"],
            (
                (format_ns(r["min_timestamp_ns"]), format_ns(r["max_timestamp_ns"]), r["extents"], r["files"])
                for r in ranges
            ),
        ),
    )


@app.command("export")
def export(
    session_id: SessionIdArgument,
    out: Annotated[Path, typer.Argument(help="MCAP file to write.", dir_okay=False, show_default=False)],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    topic: Annotated[
        list[str] | None, typer.Option("--topic", help="Only this topic (repeatable; default: all).")
    ] = None,
    with_latched: Annotated[
        bool,
        typer.Option(
            "--with-latched",
            help="Also each channel's last message before its file's window, at the window start.",
        ),
    ] = False,
) -> None:
    """Write the session's messages, clipped to each file's window, to one MCAP file; prints a summary."""
    from rich.progress import Progress

    from sessions_lib.api.session import Session

    with command(catalog) as client, Progress(console=err_console, transient=True) as progress:
        task = progress.add_task(f"exporting {session_id}", total=1.0)
        report = Session.from_id(session_id, org, client).export_mcap(
            out,
            topics=topic,
            with_latched=with_latched,
            progress=lambda done: progress.update(task, completed=done),
        )
    latched = f" ({report.latched_count} latched)" if with_latched else ""
    console.print(
        f"wrote {report.message_count} messages{latched} of {len(report.topics)} topic(s) from "
        f"{len(report.file_ids)} file(s) to {report.path}",
        highlight=False,
        markup=False,
    )


def _report_bounds(session: Session, anchored: bool, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "session_id": session.session_id,
                "anchored": anchored,
                **bounds_json("", session.min_timestamp_ns, session.max_timestamp_ns, anchored),
            }
        )
    else:
        print_bounds(session, anchored)


def _check_width(width_px: int) -> int:
    """The timeline's own minimum width, checked as an argument (exit 2) before anything is read."""
    from sessions_lib.surfaces.timeline import MIN_WIDTH_PX

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
    from sessions_lib.surfaces.timeline import draw_timeline

    refuse_reversed_window(since, until)
    with command(catalog) as client, err_console.status(f"drawing {out}"):
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
