"""Benchmark: one session's topics, and the topics with data in one hour, at fleet size.

The synthetic fleet (``synthetic_fleet.py``: 10,000 devices, 100,000 sessions, 13.3M timeline
extents) is written twice in the same run, in transactions of ``--batch-rows`` rows each:

- **laid out**: rows in arrival order (file after file), then ``Catalog.compact()``, which sorts
  the extents by wall clock and a file's topic partitions together;
- **baseline**: the same rows in a random order, not compacted, no sort order.

The default batch, 10,000 rows (~150 recordings' extents), stands for ingestion: the pipeline
commits one recording per transaction, so an uncompacted catalog really holds still more, smaller
files. ``--batch-rows 100000`` makes the baseline a few large unsorted files instead.

On each, the same samples run the same code: ``Session.list_topics()`` for ``--samples`` sessions,
and the ``window_topics`` rule for as many one-hour windows. Reported per query: the median time on
each catalog and their ratio (goal >= 10x), and, laid out, the share of the extents' Parquet files
and row groups the query read (goal <= 2%). Reads are measured, not estimated: DuckDB's
file-system log records each read of a data file, and each read is mapped to the row groups whose
bytes it covers (from the files' Parquet footers). Both catalogs must give the same answers.

    python -m benchmarks.bench_fleet_queries                          # 10,000 devices
    python -m benchmarks.bench_fleet_queries --devices 200 --samples 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from benchmarks.synthetic_fleet import ORG_ID, Fleet, FleetShape, build_fleet, write_fleet
from sessions_lib import Client, Session
from sessions_lib.catalog import Catalog
from sessions_lib.queries import WINDOW_TOPICS
from sessions_lib.store.sessions import SESSION_TOPICS_PAGE

HOUR_NS = 3_600 * 10**9
LAID_OUT, BASELINE = "laid out", "baseline"


@dataclass(frozen=True)
class Share:
    """How much of a table's Parquet data one query read."""

    files_read: int
    files: int
    row_groups_read: int
    row_groups: int

    @property
    def file_share(self) -> float:
        return self.files_read / self.files

    @property
    def row_group_share(self) -> float:
        return self.row_groups_read / self.row_groups


@dataclass(frozen=True)
class QueryResult:
    """One query's median seconds per catalog, and the share of extents read when laid out."""

    seconds: dict[str, float]
    share: Share

    @property
    def speedup(self) -> float:
        return self.seconds[BASELINE] / self.seconds[LAID_OUT]


class ReadLog:
    """Which row groups of a table's Parquet files a query reads, from DuckDB's file-system log.

    Uses a connection of its own, with the external file cache off so every read reaches the
    file system (and the log).
    """

    def __init__(self, catalog: Catalog, table: str) -> None:
        self.connection = catalog.new_connection()
        self.connection.execute("SET enable_external_file_cache = false")
        files = self.connection.execute(
            "SELECT data_file FROM ducklake_list_files('lake', $table)", {"table": table}
        ).fetchall()
        self.row_groups = {path: _row_group_bytes(self.connection, path) for (path,) in files}

    def share(self, sql: str, params: dict[str, Any]) -> Share:
        """Run ``sql`` once and count the files and row groups of the table it read."""
        self.connection.execute("CALL truncate_duckdb_logs()")
        self.connection.execute("CALL enable_logging('FileSystem')")
        try:
            self.connection.execute(sql, params).fetchall()
        finally:
            self.connection.execute("CALL disable_logging()")
        reads = [
            json.loads(message)
            for (message,) in self.connection.execute(
                "SELECT message FROM duckdb_logs WHERE type = 'FileSystem'"
            ).fetchall()
        ]
        touched: set[tuple[str, int]] = set()
        for read in reads:
            if read["op"] != "READ" or read["path"] not in self.row_groups:
                continue
            start, end = int(read["pos"]), int(read["pos"]) + int(read["bytes"])
            for group, (lo, hi) in enumerate(self.row_groups[read["path"]]):
                if start < hi and end > lo:
                    touched.add((read["path"], group))
        return Share(
            files_read=len({r["path"] for r in reads if r["path"] in self.row_groups}),
            files=len(self.row_groups),
            row_groups_read=len(touched),
            row_groups=sum(len(groups) for groups in self.row_groups.values()),
        )

    def close(self) -> None:
        self.connection.close()


def _row_group_bytes(connection: duckdb.DuckDBPyConnection, path: str) -> list[tuple[int, int]]:
    """Each row group's byte range in a Parquet file, from its footer."""
    return connection.execute(
        """
        SELECT min(coalesce(dictionary_page_offset, data_page_offset)),
               max(coalesce(dictionary_page_offset, data_page_offset) + total_compressed_size)
        FROM parquet_metadata($path) GROUP BY row_group_id ORDER BY row_group_id
        """,
        {"path": path},
    ).fetchall()


def prepare(root: Path, fleet: Fleet, batch_rows: int) -> dict[str, Client]:
    """The fleet written twice under ``root``: laid out (arrival order, then compacted with no
    history kept) and baseline (shuffled, never compacted)."""
    clients = {}
    for name, order in ((LAID_OUT, "arrival"), (BASELINE, "shuffled")):
        client = Client(root / name.replace(" ", "-"), user="bench", org_ids=[ORG_ID])
        write_fleet(client.catalog, fleet, order=order, batch_rows=batch_rows)
        if name == LAID_OUT:
            client.catalog.compact(keep_snapshots_for=timedelta(0))
        clients[name] = client
    return clients


Answer = list[tuple[str, str]]  # (topic_id, name) pairs, in the order the query gives them


@dataclass(frozen=True)
class Query:
    """A query to time: ``ask`` prepares it for a client and sample (untimed) and returns the call
    to time; ``sql`` is the statement that call runs on the extents, for the read log."""

    name: str
    ask: Callable[[Client, Any], Callable[[], Answer]]
    sql: Callable[[Any], tuple[str, dict[str, Any]]]


def _list_topics(client: Client, session_id: str) -> Callable[[], Answer]:
    session = Session.from_id(session_id, roboto_client=client)
    return lambda: [(topic.topic_id, topic.name) for topic in session.list_topics()]


def _window_topics(client: Client, start_ns: int) -> Callable[[], Answer]:
    def ask() -> Answer:
        rows = client.catalog.read(lambda tx: tx.rows(WINDOW_TOPICS, **_window_params(start_ns)))
        return [(topic_id, name) for topic_id, _, name in rows]

    return ask


def _window_params(start_ns: int) -> dict[str, Any]:
    return {"org_id": ORG_ID, "start_ns": start_ns, "end_ns": start_ns + HOUR_NS}


LIST_TOPICS = Query(
    "list_topics (one session)",
    _list_topics,
    # The first page list_topics reads (one page holds every topic of a session here).
    lambda session_id: (
        SESSION_TOPICS_PAGE,
        {"org_id": ORG_ID, "session_id": session_id, "after_name": "", "after_topic_id": "", "limit": 500},
    ),
)
WINDOW_TOPICS_QUERY = Query(
    "window_topics (one hour)", _window_topics, lambda start_ns: (WINDOW_TOPICS, _window_params(start_ns))
)


def measure(clients: dict[str, Client], query: Query, samples: list[Any]) -> QueryResult:
    """Median seconds of ``query`` over ``samples`` on each catalog (their answers must agree),
    and the median share of the extents the laid-out catalog read for them."""
    answers: dict[str, list[Answer]] = {}
    seconds = {}
    for name, client in clients.items():
        calls = [query.ask(client, sample) for sample in samples]
        calls[0]()  # warm up: connection, extensions, catalog metadata
        timings, answers[name] = [], []
        for call in calls:
            began = time.perf_counter()
            answers[name].append(call())
            timings.append(time.perf_counter() - began)
        seconds[name] = statistics.median(timings)
    if answers[LAID_OUT] != answers[BASELINE]:
        raise AssertionError(f"{query.name}: the laid-out and baseline catalogs disagree")
    log = ReadLog(clients[LAID_OUT].catalog, "timeline_extents")
    try:
        shares = sorted(
            (log.share(*query.sql(sample)) for sample in samples), key=lambda s: s.row_groups_read
        )
    finally:
        log.close()
    return QueryResult(seconds, shares[len(shares) // 2])


def run(shape: FleetShape, samples: int = 20, batch_rows: int = 10_000) -> dict[str, Any]:
    """Build the fleet, write both catalogs, time both queries; returns sizes and results."""
    began = time.perf_counter()
    fleet = build_fleet(shape)
    built = time.perf_counter()
    rng = np.random.default_rng(shape.seed + 2)
    sessions = fleet.tables["sessions"]["session_id"]
    session_ids = [sessions[int(i)].as_py() for i in rng.choice(len(sessions), samples, replace=False)]
    hours = (fleet.end_ns - fleet.start_ns) // HOUR_NS
    hour_starts = [fleet.start_ns + int(h) * HOUR_NS for h in rng.choice(hours, samples, replace=False)]
    with tempfile.TemporaryDirectory() as tmp:
        clients = prepare(Path(tmp), fleet, batch_rows)
        written = time.perf_counter()
        try:
            results = {
                LIST_TOPICS.name: measure(clients, LIST_TOPICS, session_ids),
                WINDOW_TOPICS_QUERY.name: measure(clients, WINDOW_TOPICS_QUERY, hour_starts),
            }
        finally:
            for client in clients.values():
                client.catalog.close()
    return {
        "extents": fleet.extent_count,
        "sessions": fleet.tables["sessions"].num_rows,
        "devices": fleet.tables["devices"].num_rows,
        "batch_rows": batch_rows,
        "build_s": built - began,
        "write_s": written - built,
        "results": results,
    }


def report(outcome: dict[str, Any]) -> Iterator[str]:
    """The lines printed for a run."""
    yield (
        f"{outcome['devices']:,} devices, {outcome['sessions']:,} sessions, {outcome['extents']:,} extents "
        f"in transactions of {outcome['batch_rows']:,} rows (built in {outcome['build_s']:.0f}s, "
        f"both catalogs written in {outcome['write_s']:.0f}s)"
    )
    yield (
        f"{'query':<26} {'laid out':>10} {'baseline':>10} {'speed-up':>9} "
        f"{'extent files read':>19} {'extent row groups read':>23}"
    )
    for name, result in outcome["results"].items():
        share, seconds = result.share, result.seconds
        yield (
            f"{name:<26} {seconds[LAID_OUT] * 1000:>7.1f} ms {seconds[BASELINE] * 1000:>7.1f} ms "
            f"{result.speedup:>8.1f}x {share.files_read:>5} / {share.files:<5} {share.file_share:>5.1%} "
            f"{share.row_groups_read:>6} / {share.row_groups:<6} {share.row_group_share:>6.2%}"
        )
    yield "goals: speed-up >= 10x; extent files or row groups read <= 2% (medians over the samples)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=FleetShape.devices)
    parser.add_argument("--sessions-per-device", type=int, default=FleetShape.sessions_per_device)
    parser.add_argument("--days", type=int, default=FleetShape.days)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=FleetShape.seed)
    args = parser.parse_args()
    shape = FleetShape(
        devices=args.devices, sessions_per_device=args.sessions_per_device, days=args.days, seed=args.seed
    )
    for line in report(run(shape, args.samples, args.batch_rows)):
        print(line)


if __name__ == "__main__":
    main()
