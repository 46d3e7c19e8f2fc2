"""Benchmark: what one write costs, and ``add_file`` latency against the number of sessions.

For each catalog size, a fresh catalog gets that many sessions (each with one contribution). Then,
round after round in that catalog, these are timed side by side, so the load of the machine at the
moment weighs on all of them alike:

- a bare one-row ``INSERT`` + ``COMMIT`` into a scratch table of the lake: the floor of any write;
- ``add_file``, on new sessions and on existing ones alternately;
- the other single operations: ``Session.create``, ``update``, ``add_files`` of 10 files,
  ``remove_file``, ``attach_to_device`` and ``detach_from_device``.

The report gives each one's median and its ratio to the bare insert (goal for ``add_file``: <= 2),
the statements each runs on the lake and the queries DuckLake runs on its metadata database for
them (counted from DuckDB's query log in a pass of their own), and ``add_file``'s median per size
with the ratio of the largest size to the smallest (goal <= 1.5).

Two ways to fill the catalog:
- ``bulk``: the sessions in one bulk write (Parquet), as inference writes them;
- ``small``: the sessions in small transactions of 10, as API calls write them. DuckLake keeps such
  small writes inlined in the metadata database until maintenance flushes them, so this mode times
  the operations before and after ``Catalog.compact()`` and reports the catalog's size on disk.

The catalog is one setting: a folder (each size gets a fresh SQLite catalog in it; default a temp
folder), or a PostgreSQL URL with ``--data-path s3://...`` (each size gets a fresh org in that one
catalog, and its scratch table is dropped afterwards).

    python -m benchmarks.bench_add_file                          # bulk: 1,000 vs 100,000 sessions
    python -m benchmarks.bench_add_file --fill small --sizes 1000 10000
    python -m benchmarks.bench_add_file --sizes 1000 --catalog postgresql://me@db/fleet --data-path s3://lake/bench/
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from sessions_lib import (
    Client,
    RecordedTopic,
    Session,
    SessionFile,
    register_dataset,
    register_device,
    register_file,
)
from sessions_lib.catalog.location import CatalogLocation
from tests.helpers import Statements, statements_of

T = TypeVar("T")

BARE_INSERT = "bare insert + commit"
OPERATIONS = (
    BARE_INSERT,
    "add_file",
    "create",
    "update",
    "add_files of 10",
    "remove_file",
    "attach_to_device",
    "detach_from_device",
)


@dataclass(frozen=True)
class Catalog:
    """What the rounds work on: a caller of one org, its bulk sessions, the files to add, a device,
    and the scratch table of the bare insert."""

    client: Client
    bulk_ids: list[str]
    file_ids: list[str]
    ten_file_ids: list[str]
    device_id: str
    scratch: str


def populate(client: Client, org_id: str, ids: list[str], file_id: str, batch: int | None = None) -> None:
    """Sessions ``ids``, each holding ``file_id`` narrowed to its own second: in one bulk write, or in
    transactions of ``batch`` sessions."""
    now = datetime.now(UTC)
    sessions = len(ids)
    session_rows = pa.table(
        {
            "session_id": ids,
            "org_id": [org_id] * sessions,
            "name": [f"bulk-{i}" for i in range(sessions)],
            "created": [now] * sessions,
            "created_by": ["bench"] * sessions,
            "modified": [now] * sessions,
            "modified_by": ["bench"] * sessions,
            "min_timestamp_ns": [i * 10**9 for i in range(sessions)],
            "max_timestamp_ns": [i * 10**9 + 10**8 for i in range(sessions)],
            "origin": ["inferred"] * sessions,
        }
    )
    contribution_rows = pa.table(
        {
            "session_id": ids,
            "org_id": [org_id] * sessions,
            "file_id": [file_id] * sessions,
            "range_min_timestamp_ns": [i * 10**9 for i in range(sessions)],
            "range_max_timestamp_ns": [i * 10**9 + 10**8 for i in range(sessions)],
            "created": [now] * sessions,
            "created_by": ["bench"] * sessions,
        }
    )

    step = batch or sessions
    for start in range(0, sessions, step):

        def write(tx, start: int = start) -> None:
            tx.insert_arrow("sessions", session_rows.slice(start, step))
            tx.insert_arrow("session_files", contribution_rows.slice(start, step))

        client.catalog.transaction(write)


def prepare(client: Client, sessions: int, samples: int, batch: int | None) -> Catalog:
    """``sessions`` sessions in the client's org, ``samples`` files for ``add_file``, ten for
    ``add_files``, a device, and an empty scratch table."""
    (org_id,) = client.org_ids
    token = secrets.token_hex(4)
    dataset = register_dataset(f"bench-{token}", roboto_client=client).dataset_id
    big = register_file(
        dataset, "fleet.mcap", [RecordedTopic("/imu", ((0, sessions * 10**9),))], roboto_client=client
    )
    bulk_ids = [f"se_bulk{token}{i:08d}" for i in range(sessions)]
    populate(client, org_id, bulk_ids, big.file_id, batch)
    files = [
        register_file(dataset, f"f{i}.mcap", [RecordedTopic("/gps", ((i, i + 10),))], roboto_client=client)
        for i in range(samples + 10)
    ]
    device = register_device(f"bench-{token}", roboto_client=client).device_id
    scratch = f"bench_scratch_{token}"
    client.catalog.transaction(lambda tx: tx.execute(f"CREATE TABLE {scratch} (v BIGINT)"))
    ids = [f.file_id for f in files]
    return Catalog(client, bulk_ids, ids[:samples], ids[samples:], device, scratch)


def bare_insert(catalog: Catalog, value: int) -> None:
    """One row into the scratch table, committed: the same transaction machinery as every call."""
    sql = f"INSERT INTO {catalog.scratch} VALUES ($value)"
    catalog.client.catalog.transaction(lambda tx: tx.execute(sql, value=value))


def drop_scratch(catalog: Catalog) -> None:
    catalog.client.catalog.transaction(lambda tx: tx.execute(f"DROP TABLE {catalog.scratch}"))


def time_rounds(catalog: Catalog, rounds: range) -> dict[str, float]:
    """Median seconds of each operation over ``rounds``, every round running each once, in turn."""
    timings: dict[str, list[float]] = {name: [] for name in OPERATIONS}

    def timed(name: str, call: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = call()
        timings[name].append(time.perf_counter() - start)
        return result

    for i in rounds:
        one_round(catalog, i, timed)
    return {name: statistics.median(seconds) for name, seconds in timings.items()}


def one_round(catalog: Catalog, i: int, timed: Callable[[str, Callable[[], Any]], Any]) -> None:
    """Each operation once: ``add_file`` on a new session (even rounds) or an existing one (odd)."""
    client = catalog.client
    timed(BARE_INSERT, lambda: bare_insert(catalog, i))
    new = timed("create", lambda: Session.create(name=f"timed-{i}", roboto_client=client))
    bulk_id = catalog.bulk_ids[(i * 7919) % len(catalog.bulk_ids)]
    target = new if i % 2 == 0 else Session.from_id(bulk_id, roboto_client=client)
    timed("add_file", lambda: target.add_file(catalog.file_ids[i]))
    timed("update", lambda: new.update(name=f"renamed-{i}"))
    timed("add_files of 10", lambda: new.add_files([SessionFile(f) for f in catalog.ten_file_ids]))
    timed("remove_file", lambda: new.remove_file(catalog.ten_file_ids[0]))
    timed("attach_to_device", lambda: new.attach_to_device(catalog.device_id))
    timed("detach_from_device", lambda: new.detach_from_device(catalog.device_id))


def count_statements(catalog: Catalog) -> dict[str, Statements]:
    """What each operation runs (one call each, logged, untimed), on a session of its own."""
    client = catalog.client
    counted: dict[str, Statements] = {}
    new: list[Session] = []

    def count(name: str, call: Callable[[], Any]) -> None:
        counted[name] = statements_of(client, call)

    count(BARE_INSERT, lambda: bare_insert(catalog, -1))
    count("create", lambda: new.append(Session.create(name="counted", roboto_client=client)))
    (session,) = new
    count("add_file", lambda: session.add_file(catalog.file_ids[0]))
    count("update", lambda: session.update(name="counted-renamed"))
    count("add_files of 10", lambda: session.add_files([SessionFile(f) for f in catalog.ten_file_ids]))
    count("remove_file", lambda: session.remove_file(catalog.ten_file_ids[0]))
    count("attach_to_device", lambda: session.attach_to_device(catalog.device_id))
    count("detach_from_device", lambda: session.detach_from_device(catalog.device_id))
    return counted


@contextlib.contextmanager
def fresh_clients(setting: str | None, data_path: str | None) -> Iterator[Callable[[str], Client]]:
    """A factory of clients, each of one fresh org on a fresh catalog: a sub-folder of a folder (a
    temp one when ``setting`` is None), or the one PostgreSQL catalog ``setting`` names."""
    with contextlib.ExitStack() as stack:
        if setting is None:
            setting = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-add-file-"))
        on_server = "://" in setting

        def fresh(name: str) -> Client:
            location = setting if on_server else str(Path(setting) / f"{name}-{secrets.token_hex(4)}")
            org_id = f"org_bench_{secrets.token_hex(4)}"
            return Client(location, data_path=data_path, user="bench", org_ids=[org_id])

        yield fresh


def run(
    sizes: list[int],
    samples: int,
    fill: str = "bulk",
    catalog: str | None = None,
    data_path: str | None = None,
) -> dict[str, Any]:
    """Per catalog size (each on a fresh catalog): the median seconds of every operation
    (``operations_s``, with ``add_file`` also under ``add_file_s``) and bytes on disk; for ``small``
    fills the same again after ``Catalog.compact()``; and, from the first size, the statements of
    each operation (``statements``)."""
    results: dict[str, Any] = {}
    small = fill == "small"
    with fresh_clients(catalog, data_path) as fresh_client:
        for n in sizes:
            client = fresh_client(f"catalog-{n}")
            try:
                prepared = prepare(client, n, samples, 10 if small else None)
                if "statements" not in results:
                    results["statements"] = count_statements(prepared)
                phases = [("", range(samples // 2 if small else samples))]
                if small:
                    phases.append(("_after_compact", range(samples // 2, samples)))
                for suffix, rounds in phases:
                    if suffix:
                        client.catalog.compact(timedelta(0))
                    medians = time_rounds(prepared, rounds)
                    results.setdefault(f"operations_s{suffix}", {})[n] = medians
                    results.setdefault(f"add_file_s{suffix}", {})[n] = medians["add_file"]
                    results.setdefault(f"bytes{suffix}", {})[n] = client.catalog.size_bytes()
                if catalog and "://" in catalog:  # a shared catalog: leave no scratch table in it
                    drop_scratch(prepared)
            finally:
                client.catalog.close()
    return results


def report(results: dict[str, Any], location: str) -> Iterator[str]:
    """The lines ``main`` prints."""
    statements: dict[str, Statements] = results["statements"]
    yield f"catalog: {location}; medians, and their ratio to the bare insert in the same rounds"
    for suffix, when in (("", ""), ("_after_compact", ", after compaction")):
        for size, medians in results.get(f"operations_s{suffix}", {}).items():
            yield f"{size:,} sessions{when}:"
            floor = medians[BARE_INSERT]
            for name, seconds in medians.items():
                counted = statements[name]
                yield (
                    f"  {name:<22} {seconds * 1000:7.1f} ms {seconds / floor:6.2f}x   "
                    f"{counted.lake} lake statement(s), {counted.metadata} metadata queries"
                )
            ratio = medians["add_file"] / floor
            yield f"  add_file / bare insert: {ratio:.2f} (goal <= 2)"
    for measure in ("add_file_s", "add_file_s_after_compact"):
        by_size = results.get(measure, {})
        if len(by_size) > 1:
            low, high = min(by_size), max(by_size)
            ratio = by_size[high] / by_size[low]
            yield f"{measure:<26} ratio {high:,} / {low:,} sessions: {ratio:.2f} (goal <= 1.5)"
    for measure in ("bytes", "bytes_after_compact"):
        for size, value in results.get(measure, {}).items():
            yield f"{measure:<26} {size:>9,} sessions: {value / 1e6:8.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--fill", choices=["bulk", "small"], default="bulk")
    parser.add_argument("--catalog", default=None, help="a folder, or a postgresql:// URL (default: temp)")
    parser.add_argument("--data-path", default=None, help="the data path of a PostgreSQL catalog (s3://...)")
    args = parser.parse_args()
    results = run(args.sizes, args.samples, args.fill, args.catalog, args.data_path)
    where = "SQLite in a temp folder"
    if args.catalog:
        where = str(CatalogLocation.from_setting(args.catalog, args.data_path))
    for line in report(results, where):
        print(line)


if __name__ == "__main__":
    main()
