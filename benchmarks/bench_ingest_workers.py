"""Benchmark: ingesting one folder with 1 and with 2 worker processes, each into a fresh catalog.

Both runs are the pipeline's ingestion (``dataset_files``, ``device_metadata``, ``topic_extents``)
on Dagster's multiprocess executor with at most N step processes, over the same folder split into
the same batches. The report gives, per worker count, the run's wall time and the span of its
batch steps (first batch step's start to the last one's end: the parallel part, without the run's
fixed costs); the speed-ups (time with 1 / time with 2); the load average before the runs; and a
baseline measured in the same run: plain reading of the largest recordings in 2 processes against
1 (no Dagster, no catalog), which is what the cores other work leaves free allow at that moment.

The folder is generated: renamed copies of the embedded fleet (every format, small files: catalog
writes weigh) plus long Parquet telemetry recordings (reading weighs). Both catalogs must end up
with the same files, topics and extents.

The catalog is one setting, passed through as given: a folder (each run gets a fresh folder in
it) or a PostgreSQL URL with ``--data-path s3://...`` (each run gets a fresh org in it, so the
second run starts from a catalog the first one made slightly bigger).

    python -m benchmarks.bench_ingest_workers                         # catalogs in a temp folder
    python -m benchmarks.bench_ingest_workers --catalog /tmp/bench --repeats 3
    python -m benchmarks.bench_ingest_workers --catalog postgresql://me@db/fleet --data-path s3://lake/bench/
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from ruamel.yaml import YAML

from pipelines.defs.resources import CatalogResource, FleetResource
from pipelines.run import execute_fleet, temporary_instance
from sessions_lib.ingest import recording_paths
from sessions_lib.readers import read_recording
from tests.helpers import batch_step_spans

DATA = Path(__file__).resolve().parents[1] / "data"
INGESTION_ASSETS = ("dataset_files", "device_metadata", "topic_extents")
TELEMETRY_DEVICES = ("falcon", "hawk", "rover1")  # folders data/devices.yaml maps to a device
TELEMETRY_START_NS = 1_776_643_200 * 10**9  # 2026-04-20T00:00:00Z
TELEMETRY_PERIOD_NS = 10_000_000  # 100 Hz


@dataclass(frozen=True)
class FolderShape:
    """What the generated folder holds: renamed copies of ``data/fleet`` and Parquet telemetry
    recordings at 100 Hz, each starting on its own hour, in the fleet's device folders."""

    copies: int = 2
    telemetry_files: int = 40
    telemetry_rows: int = 5_000_000


def make_folder(root: Path, shape: FolderShape) -> Path:
    """The fleet folder ``shape`` describes under ``root``: its ``devices.yaml`` and ``fleet/``."""
    shutil.copy(DATA / "devices.yaml", root / "devices.yaml")
    fleet = root / "fleet"
    for copy in range(shape.copies):
        shutil.copytree(DATA / "fleet", fleet / f"copy-{copy:03d}")
    for index in range(shape.telemetry_files):
        folder = fleet / TELEMETRY_DEVICES[index % len(TELEMETRY_DEVICES)]
        folder.mkdir(parents=True, exist_ok=True)
        start_ns = TELEMETRY_START_NS + index * 3_600 * 10**9
        timestamps = pl.int_range(shape.telemetry_rows, dtype=pl.Int64) * TELEMETRY_PERIOD_NS + start_ns
        pl.select(timestamp=timestamps).write_parquet(folder / f"telemetry_{index:04d}.parquet")
    return root


def time_ingestion(
    root: Path, catalog: CatalogResource, workers: int, files_per_batch: int, org_id: str
) -> dict[str, Any]:
    """Seconds to ingest ``root`` with ``workers`` step processes as org ``org_id`` of ``catalog``,
    and what the catalog holds afterwards."""
    metadata = YAML(typ="safe").load((root / "devices.yaml").read_text())
    metadata["org_id"] = org_id
    devices = f"devices-{org_id}.yaml"
    YAML(typ="safe").dump(metadata, root / devices)
    fleet = FleetResource(root=str(root), device_metadata=devices, files_per_batch=files_per_batch)
    load = os.getloadavg()[0]  # others' work on the machine shares its cores
    with temporary_instance() as instance:
        start = time.perf_counter()
        run = execute_fleet(fleet, catalog, workers=workers, assets=INGESTION_ASSETS, instance=instance)
        seconds = time.perf_counter() - start
        if not run.success:
            raise SystemExit(f"the ingestion run with {workers} worker(s) failed (its errors are above)")
        spans = list(batch_step_spans(instance).values())
    client = catalog.client()
    try:
        counts = client.catalog.read(
            lambda tx: tx.rows(
                "SELECT (SELECT count(*) FROM files WHERE org_id = $org), "
                "(SELECT count(*) FROM topic_partitions WHERE org_id = $org), "
                "(SELECT count(*) FROM timeline_extents WHERE org_id = $org)",
                org=org_id,
            )
        )[0]
    finally:
        client.catalog.close()
    return {
        "seconds": seconds,
        "batch_seconds": max(s.ended for s in spans) - min(s.started for s in spans),
        "load": load,
        "files": counts[0],
        "partitions": counts[1],
        "extents": counts[2],
    }


@contextlib.contextmanager
def fresh_catalogs(
    setting: str | None, data_path: str | None
) -> Iterator[Callable[[str, str], CatalogResource]]:
    """A factory of fresh catalogs for a caller of one org: sub-folders of a folder (a temp one when
    ``setting`` is None), or the one PostgreSQL catalog ``setting`` names (runs keep apart by org)."""
    with contextlib.ExitStack() as stack:
        if setting is None:
            setting = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-catalogs-"))
        on_server = "://" in setting

        def fresh(name: str, org_id: str) -> CatalogResource:
            location = setting if on_server else str(Path(setting) / f"{name}-{secrets.token_hex(4)}")
            return CatalogResource(location=location, data_path=data_path, user="bench", org_ids=[org_id])

        yield fresh


def read_all(paths: list[str]) -> None:
    """Read every recording of ``paths`` with the library's readers (no catalog)."""
    for path in paths:
        read_recording(Path(path))


def reading_speedup(paths: Sequence[Path]) -> float:
    """Plain reading, no Dagster, no catalog: one process reading ``paths`` against two processes
    reading half each. The speed-up this machine's free cores allow at the moment, for comparison."""
    names = [str(p) for p in paths]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(read_all, [names[:1], names[:1]])  # both workers imported and the files cached
        start = time.perf_counter()
        pool.map(read_all, [names])
        one = time.perf_counter() - start
        start = time.perf_counter()
        pool.map(read_all, [names[0::2], names[1::2]])
        two = time.perf_counter() - start
    return one / two


def run(
    catalog: str | None = None,
    data_path: str | None = None,
    workers: Sequence[int] = (1, 2),
    shape: FolderShape = FolderShape(),
    repeats: int = 1,
) -> dict[str, Any]:
    """Median seconds per worker count over ``repeats`` rounds (the order flips every round), the
    speed-up of the most workers over the fewest, plain reading's speed-up with 2 processes after
    each round (the machine's baseline), and what each catalog holds."""
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as folder:
        root = make_folder(Path(folder), shape)
        recordings = list(recording_paths(root / "fleet"))
        # The same batches for every run: twice as many as the most workers, so none sits idle long.
        files_per_batch = math.ceil(len(recordings) / (2 * max(workers)))
        times: dict[int, list[float]] = {n: [] for n in workers}
        batch_times: dict[int, list[float]] = {n: [] for n in workers}
        loads: list[float] = []
        baselines: list[float] = []
        largest = sorted(recordings, key=lambda p: p.stat().st_size)[-8:]
        stored: dict[int, tuple[int, int, int]] = {}
        with fresh_catalogs(catalog, data_path) as fresh_catalog:
            for round_index in range(repeats):
                for n in workers if round_index % 2 == 0 else list(reversed(workers)):
                    org = f"org_bench_{n}w_{secrets.token_hex(4)}"
                    result = time_ingestion(root, fresh_catalog(f"workers-{n}", org), n, files_per_batch, org)
                    times[n].append(result["seconds"])
                    batch_times[n].append(result["batch_seconds"])
                    loads.append(result["load"])
                    stored[n] = (result["files"], result["partitions"], result["extents"])
                baselines.append(reading_speedup(largest))
        if len(set(stored.values())) != 1:
            raise SystemExit(f"the runs stored different catalogs (files, partitions, extents): {stored}")
        seconds = {n: statistics.median(ts) for n, ts in times.items()}
        batch_seconds = {n: statistics.median(ts) for n, ts in batch_times.items()}
        return {
            "files": len(recordings),
            "bytes": sum(p.stat().st_size for p in recordings),
            "batches": math.ceil(len(recordings) / files_per_batch),
            "stored": stored[workers[0]],
            "seconds": seconds,
            "speedup": seconds[min(workers)] / seconds[max(workers)],
            "batch_seconds": batch_seconds,
            "batch_speedup": batch_seconds[min(workers)] / batch_seconds[max(workers)],
            "load": (min(loads), max(loads)),
            "reading_speedup": statistics.median(baselines),
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", default=None, help="a folder, or a postgresql:// URL (default: temp)")
    parser.add_argument("--data-path", default=None, help="the data path of a PostgreSQL catalog (s3://...)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    default = FolderShape()
    parser.add_argument("--copies", type=int, default=default.copies, help="copies of data/fleet")
    parser.add_argument("--telemetry-files", type=int, default=default.telemetry_files, help="Parquet files")
    parser.add_argument("--telemetry-rows", type=int, default=default.telemetry_rows, help="rows per file")
    parser.add_argument("--repeats", type=int, default=1, help="rounds (median reported)")
    args = parser.parse_args(argv)
    shape = FolderShape(args.copies, args.telemetry_files, args.telemetry_rows)
    result = run(args.catalog, args.data_path, args.workers, shape, args.repeats)
    files, partitions, extents = result["stored"]
    print(
        f"{result['files']} recordings ({result['bytes'] / 2**20:.0f} MiB) in {result['batches']} batches; "
        f"each catalog: {files} files, {partitions} topic partitions, {extents} extents"
    )
    for n, seconds in result["seconds"].items():
        print(
            f"  {n} worker process(es): run {seconds:8.2f} s ({result['files'] / seconds:.1f} files/s), "
            f"batch steps {result['batch_seconds'][n]:8.2f} s"
        )
    fewest, most = min(args.workers), max(args.workers)
    low, high = result["load"]
    print(f"  1-minute load average before the runs: {low:.1f} to {high:.1f} (cores: {os.cpu_count()})")
    print(
        f"  speed-up with {most} workers over {fewest}: run {result['speedup']:.2f}x, "
        f"batch steps {result['batch_speedup']:.2f}x; baseline: plain reading of the "
        f"largest files in 2 processes over 1: {result['reading_speedup']:.2f}x"
    )


if __name__ == "__main__":
    main()
