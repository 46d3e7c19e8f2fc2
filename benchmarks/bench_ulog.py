"""Benchmark: the ULog reader against pyulog's full parse of the same file, measured in the same run.

Both run alternately on the same file (the largest real ULog by default), each timing is the median
of ``repeats``; the report gives both and their ratio (goal: ``read`` >= 10x faster).

    python -m benchmarks.bench_ulog                       # the largest real ULog, 7 repetitions
    python -m benchmarks.bench_ulog --path flight.ulg --repeats 15
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pyulog import ULog

from sessions_lib.readers.ulog import read

REAL_ULOGS = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "ulog"


def largest_real_ulog(folder: Path = REAL_ULOGS) -> Path:
    """The largest ``.ulg`` file in ``folder``."""
    files = sorted(folder.glob("*.ulg"), key=lambda p: p.stat().st_size)
    if not files:
        raise SystemExit(f"no .ulg files in {folder}")
    return files[-1]


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run(path: Path | None = None, repeats: int = 7) -> dict[str, float]:
    """Median seconds of ``read(path)`` and of ``pyulog.ULog(path)``, and how many times faster we are."""
    path = path or largest_real_ulog()
    read(path), ULog(str(path))  # warm the page cache and imports
    ours, theirs = [], []
    for _ in range(repeats):  # alternate, so background load hits both alike
        ours.append(_seconds(lambda: read(path)))
        theirs.append(_seconds(lambda: ULog(str(path))))
    read_s, pyulog_s = statistics.median(ours), statistics.median(theirs)
    return {"read_s": read_s, "pyulog_s": pyulog_s, "speedup": pyulog_s / read_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=None, help="a .ulg file (default: the largest real one)")
    parser.add_argument("--repeats", type=int, default=7, help="timed repetitions of each (median reported)")
    args = parser.parse_args(argv)
    path = args.path or largest_real_ulog()
    result = run(path, args.repeats)
    print(f"{path.name} ({path.stat().st_size / 2**20:.1f} MiB), median of {args.repeats}:")
    print(f"  sessions_lib.readers.ulog.read  {result['read_s'] * 1000:8.2f} ms")
    print(f"  pyulog.ULog (full parse)        {result['pyulog_s'] * 1000:8.2f} ms")
    verdict = "meets" if result["speedup"] >= 10 else "misses"
    print(f"  speedup {result['speedup']:.1f}x ({verdict} the 10x goal)")


if __name__ == "__main__":
    main()
