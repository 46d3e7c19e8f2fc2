"""Benchmark: ``add_file`` latency must not grow with the number of sessions in the catalog.

For each catalog size, a fresh catalog gets that many sessions (each with one contribution),
then ``add_file`` is timed on new sessions and on existing ones alternately. The report gives the
median per size and the ratio of the largest to the smallest (goal <= 1.5).

Two ways to fill the catalog:
- ``bulk``: the sessions in one bulk write (Parquet), as inference writes them;
- ``small``: the sessions in small transactions of 10, as API calls write them. DuckLake keeps such
  small writes inlined in the metadata database until maintenance flushes them, so this mode times
  ``add_file`` before and after ``Catalog.compact()`` and reports the catalog's size on disk.

    python -m benchmarks.bench_add_file                          # bulk: 1,000 vs 100,000
    python -m benchmarks.bench_add_file --fill small --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from sessions_lib import Client, RecordedTopic, Session, register_dataset, register_file


def populate(client: Client, org_id: str, sessions: int, file_id: str, batch: int | None = None) -> None:
    """``sessions`` sessions, each holding ``file_id`` narrowed to its own second: in one bulk
    write, or in transactions of ``batch`` sessions."""
    now = datetime.now(UTC)
    ids = [f"se_bulk{i:012d}" for i in range(sessions)]
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


def prepare(catalog_dir: Path, sessions: int, samples: int, batch: int | None) -> tuple[Client, list[str]]:
    """A catalog holding ``sessions`` sessions, and ``samples`` files to add."""
    client = Client(catalog_dir, user="bench", org_ids=["org_bench"])
    dataset = register_dataset("bench", roboto_client=client).dataset_id
    big = register_file(
        dataset, "fleet.mcap", [RecordedTopic("/imu", ((0, sessions * 10**9),))], roboto_client=client
    )
    populate(client, "org_bench", sessions, big.file_id, batch)
    files = [
        register_file(dataset, f"f{i}.mcap", [RecordedTopic("/gps", ((i, i + 10),))], roboto_client=client)
        for i in range(samples)
    ]
    return client, [f.file_id for f in files]


def median_add_file_s(client: Client, sessions: int, file_ids: list[str]) -> float:
    """Median seconds of ``add_file``, alternating new sessions and existing ones."""
    timings = []
    for i, file_id in enumerate(file_ids):
        if i % 2:
            session = Session.from_id(f"se_bulk{(i * 7919) % sessions:012d}", roboto_client=client)
        else:
            session = Session.create(name="timed", roboto_client=client)
        start = time.perf_counter()
        session.add_file(file_id)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def run(sizes: list[int], samples: int, fill: str = "bulk") -> dict[str, dict[int, float]]:
    """Per catalog size (each on a fresh catalog): median ``add_file`` seconds and bytes on disk;
    for ``small`` fills, the same again after ``Catalog.compact()``."""
    results: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            client, file_ids = prepare(
                Path(tmp) / f"catalog-{n}", n, samples, 10 if fill == "small" else None
            )
            half = len(file_ids) // 2 if fill == "small" else len(file_ids)
            results.setdefault("add_file_s", {})[n] = median_add_file_s(client, n, file_ids[:half])
            results.setdefault("bytes", {})[n] = client.catalog.size_bytes()
            if fill == "small":
                client.catalog.compact(timedelta(0))
                after = median_add_file_s(client, n, file_ids[half:])
                results.setdefault("add_file_s_after_compact", {})[n] = after
                results.setdefault("bytes_after_compact", {})[n] = client.catalog.size_bytes()
            client.catalog.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--fill", choices=["bulk", "small"], default="bulk")
    args = parser.parse_args()
    for measure, by_size in run(args.sizes, args.samples, args.fill).items():
        for size, value in by_size.items():
            shown = f"{value * 1000:8.1f} ms" if measure.startswith("add_file") else f"{value / 1e6:8.2f} MB"
            print(f"{measure:<26} {size:>9,} sessions: {shown}")
        if measure.startswith("add_file"):
            low, high = min(by_size), max(by_size)
            print(f"{measure:<26} ratio {high:,} / {low:,}: {by_size[high] / by_size[low]:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
