"""Benchmark: ``add_file`` latency must not grow with the number of sessions in the catalog.

For each catalog size, a fresh catalog gets that many sessions (each with one contribution)
written in bulk, then ``add_file`` is timed on new sessions and on bulk-written ones alternately.
The report gives the median per size and the ratio of the largest to the smallest (goal <= 1.5).

    python -m tests.benchmarks.bench_add_file                 # 1,000 vs 100,000 sessions
    python -m tests.benchmarks.bench_add_file --sizes 100 1000 --samples 10
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from sessions_lib import Client, RecordedTopic, Session, register_dataset, register_file


def populate(client: Client, org_id: str, sessions: int, file_id: str) -> None:
    """``sessions`` sessions, each holding ``file_id`` narrowed to its own second, in two bulk writes."""
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

    def write(tx) -> None:
        tx.insert_arrow("sessions", session_rows)
        tx.insert_arrow("session_files", contribution_rows)

    client.catalog.transaction(write)


def median_add_file_s(catalog_dir: Path, sessions: int, samples: int) -> float:
    client = Client(catalog_dir, user="bench", org_ids=["org_bench"])
    dataset = register_dataset("bench", roboto_client=client).dataset_id
    big = register_file(
        dataset, "fleet.mcap", [RecordedTopic("/imu", ((0, sessions * 10**9),))], roboto_client=client
    )
    populate(client, "org_bench", sessions, big.file_id)
    files = [
        register_file(dataset, f"f{i}.mcap", [RecordedTopic("/gps", ((i, i + 10),))], roboto_client=client)
        for i in range(samples)
    ]
    timings = []
    for i, file in enumerate(files):
        # Alternate between a new session and one of the bulk-written ones (stored in Parquet).
        if i % 2:
            session = Session.from_id(f"se_bulk{(i * 7919) % sessions:012d}", roboto_client=client)
        else:
            session = Session.create(name="timed", roboto_client=client)
        start = time.perf_counter()
        session.add_file(file.file_id)
        timings.append(time.perf_counter() - start)
    client.catalog.close()
    return statistics.median(timings)


def run(sizes: list[int], samples: int) -> dict[int, float]:
    """Median ``add_file`` seconds per catalog size, each size on a fresh catalog."""
    with tempfile.TemporaryDirectory() as tmp:
        return {n: median_add_file_s(Path(tmp) / f"catalog-{n}", n, samples) for n in sizes}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    medians = run(args.sizes, args.samples)
    for size, seconds in medians.items():
        print(f"{size:>9,} sessions: median add_file {seconds * 1000:7.1f} ms")
    smallest, largest = min(medians), max(medians)
    ratio = medians[largest] / medians[smallest]
    print(f"ratio {largest:,} / {smallest:,} sessions: {ratio:.2f} (goal <= 1.5)")


if __name__ == "__main__":
    main()
