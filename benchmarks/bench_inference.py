"""Benchmark: ``infer_sessions`` over many file windows, as a ratio to a bare polars sort of the same rows.

A synthetic fleet: ``devices`` devices in three orgs and four device types (two with their own
gap), each recording back-to-back files of 1-5 minutes with short pauses and, now and then, hours
off; about 10% of the devices fly in formations of four that share a mission tag and a schedule.
Rows arrive shuffled, as from a catalog. Both operations are timed in the same process on the same
frame (best of ``repeats``); peak memory is each operation's growth of peak RSS (``VmHWM``, else
``ru_maxrss``) in a fresh subprocess that reads the data from Parquet, resets its high-water mark,
then runs the operation (tracemalloc does not see polars' Rust allocations; jemalloc is told to
return freed pages at once, so RSS follows live memory).

    python -m benchmarks.bench_inference                     # 1,000,000 windows, 10,000 devices
    python -m benchmarks.bench_inference --rows 100000 --devices 1000

Goal: inference <= 3x the sort.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from sessions_lib.inference import DEVICE_COLUMNS, InferenceRules, infer_sessions

SECOND_NS = 10**9
DEVICE_TYPES = ("drone", "rover", "arm", "boat")
RULES = InferenceRules(
    default_gap_ns=600 * SECOND_NS, gap_ns_by_device_type={"arm": 60 * SECOND_NS, "boat": 1800 * SECOND_NS}
)
FORMATION_SIZE = 4
TAGGED_SHARE = 0.10


def fleet(rows: int, devices: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(activity, devices)``: ``rows`` shuffled file windows spread evenly over ``devices`` devices."""
    rng = np.random.default_rng(seed)
    device_index = np.arange(devices)
    formation = np.where(
        device_index < int(devices * TAGGED_SHARE), device_index // FORMATION_SIZE, -1
    )  # the first 10% fly in groups of four
    device_ids = np.char.add("dv_", np.char.zfill(device_index.astype(str), 6))
    orgs = np.char.add("org_", (device_index % 3).astype(str))
    device_table = pl.DataFrame(
        {
            "org_id": orgs,
            "device_id": device_ids,
            "name": np.char.add("robot-", device_index.astype(str)),
            "device_type": np.array(DEVICE_TYPES)[device_index % len(DEVICE_TYPES)],
            "mission_tags": [[f"mission-{group}"] if group >= 0 else [] for group in formation],
        },
        schema=DEVICE_COLUMNS,
    )

    owner = np.sort(rng.integers(0, devices, rows))  # rows grouped by device, in time order per device
    lengths = rng.integers(60, 300, rows) * SECOND_NS
    pauses = np.where(rng.random(rows) < 0.1, rng.integers(3600, 48 * 3600, rows), rng.integers(0, 30, rows))
    steps = lengths + pauses * SECOND_NS
    first_of_device = np.r_[True, owner[1:] != owner[:-1]]
    elapsed = np.cumsum(steps) - steps
    elapsed -= np.maximum.accumulate(np.where(first_of_device, elapsed, 0))
    # A formation's members share their schedule's origin, so their activity overlaps.
    origin_key = np.where(formation[owner] >= 0, formation[owner], owner + devices)
    origins = 1_700_000_000 * SECOND_NS + (origin_key * 7919 % 100_003) * 60 * SECOND_NS
    start = origins + elapsed
    activity = pl.DataFrame(
        {
            "org_id": orgs[owner],
            "device_id": device_ids[owner],
            "file_id": np.char.add("fl_", np.char.zfill(np.arange(rows).astype(str), 8)),
            "kind": np.full(rows, "file"),
            "start_ns": start,
            "end_ns": start + lengths,
        }
    )
    return activity.sample(fraction=1.0, shuffle=True, seed=seed), device_table


def best_seconds(operation, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        begin = time.perf_counter()
        operation()
        timings.append(time.perf_counter() - begin)
    return min(timings)


def bare_sort(activity: pl.DataFrame) -> pl.DataFrame:
    return activity.sort(["org_id", "device_id", "start_ns"])


def peak_memory_mib(operation: str, activity: pl.DataFrame, device_table: pl.DataFrame) -> dict[str, float]:
    """In a fresh interpreter that only reads the data from Parquet: RSS before ``operation``, and
    its peak growth during it."""
    with tempfile.TemporaryDirectory() as folder:
        activity.write_parquet(Path(folder) / "activity.parquet")
        device_table.write_parquet(Path(folder) / "devices.parquet")
        command = [sys.executable, "-m", "benchmarks.bench_inference", "--memory-of", operation, folder]
        # jemalloc (polars' allocator) returns freed pages at once, so RSS follows live memory.
        environment = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
        output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    return json.loads(output.splitlines()[-1])


def _max_rss_mib() -> float:
    """This process's peak RSS: ``VmHWM`` on Linux, which ``_reset_peak_rss`` can restart (a forked
    child's ``ru_maxrss`` starts at its parent's peak and never goes below it), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _reset_peak_rss() -> None:
    """Start the high-water mark afresh (Linux: ``5`` to ``/proc/self/clear_refs`` resets it), so
    the growth measured next is the operation's, not the data generator's."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass  # elsewhere the growth is measured above the generator's own peak: a lower bound


def _memory_child(operation: str, folder: Path) -> None:
    activity = pl.read_parquet(folder / "activity.parquet")
    device_table = pl.read_parquet(folder / "devices.parquet")
    gc.collect()
    _reset_peak_rss()
    before = _max_rss_mib()
    if operation == "sort":
        bare_sort(activity)
    else:
        infer_sessions(activity, device_table, RULES)
    after = _max_rss_mib()
    print(json.dumps({"data_mib": before, "peak_mib": after, "growth_mib": after - before}))


def run(
    rows: int = 1_000_000, devices: int = 10_000, repeats: int = 3, memory: bool = True
) -> dict[str, float]:
    """Seconds of the sort and of inference (best of ``repeats``), their ratio, counts of the
    output, and (``memory``) the peak RSS growth of each in MiB."""
    activity, device_table = fleet(rows, devices)
    sort_s = best_seconds(lambda: bare_sort(activity), repeats)
    infer_s = best_seconds(lambda: infer_sessions(activity, device_table, RULES), repeats)
    inferred = infer_sessions(activity, device_table, RULES)
    formations = inferred.attachments.group_by("session_id").len().filter(pl.col("len") > 1).height
    results = {
        "rows": float(rows),
        "devices": float(devices),
        "sessions": float(inferred.sessions.height),
        "formation_sessions": float(formations),
        "contributions": float(inferred.contributions.height),
        "sort_s": sort_s,
        "infer_s": infer_s,
        "ratio": infer_s / sort_s,
    }
    if memory:
        for operation in ("sort", "infer"):
            measured = peak_memory_mib(operation, activity, device_table)
            results[f"{operation}_peak_growth_mib"] = measured["growth_mib"]
            results[f"{operation}_rss_before_mib"] = measured["data_mib"]
        results["memory_ratio"] = results["infer_peak_growth_mib"] / max(results["sort_peak_growth_mib"], 1.0)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-of", nargs=2, metavar=("OPERATION", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        _memory_child(args.memory_of[0], Path(args.memory_of[1]))
        return
    results = run(args.rows, args.devices, args.repeats)
    print(f"polars {pl.__version__}, {pl.thread_pool_size()} threads")
    for key, value in results.items():
        print(f"{key:>28}: {value:,.3f}" if not value.is_integer() else f"{key:>28}: {int(value):,}")
    print(f"{'goal':>28}: ratio <= 3 -> {'met' if results['ratio'] <= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
