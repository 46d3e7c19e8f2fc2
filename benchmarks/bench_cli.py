"""Benchmark: how light the ``sessions`` command is, next to DuckDB doing the same read bare.

The embedded fleet's catalog is built once (the main job over ``data/``, as ``python -m pipelines
data`` runs it), unless ``--catalog`` names one already built. Then, in the same run and taking
turns (so a change in the machine's load weighs on all of them alike), each of these runs
``--repeats`` times as a fresh process; the report gives each one's median wall time:

- ``sessions list --catalog C`` (``python -m pipelines.cli``, what the console script runs);
- the bare baseline: ``python -c`` that imports duckdb, loads the same extension binaries from
  their packages, attaches the same catalog with the library's own ATTACH statement and runs one
  SELECT from ``sessions``; and the ratio list / bare (goal: at most 1.5);
- ``sessions show <first session>`` and ``sessions --help``;
- ``python -X importtime -c "import sessions_lib"``: the import's own total (goal: at most 0.3 s).

    python -m benchmarks.bench_cli                                    # a temp catalog, 10 repeats
    python -m benchmarks.bench_cli --repeats 30 --catalog /tmp/fleet  # built there on first use
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pipelines.run import run_fleet
from sessions_lib.catalog.extensions import extension_path
from sessions_lib.catalog.lake import LAKE
from sessions_lib.catalog.location import CatalogLocation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RATIO_GOAL = 1.5
IMPORT_GOAL_S = 0.3

BARE = """
import duckdb
config = {{"autoinstall_known_extensions": False, "autoload_known_extensions": False}}
connection = duckdb.connect(config=config)
for path in {paths!r}:
    connection.execute(f"LOAD '{{path}}'")
connection.execute({attach!r})
connection.execute("SELECT * FROM {lake}.main.sessions").fetchall()
"""


def build_catalog(catalog: Path) -> None:
    """The main job over the embedded fleet into ``catalog`` (skipped when it holds one already)."""
    if CatalogLocation.from_setting(catalog).exists():
        return
    passed, report = run_fleet(DATA, str(catalog))
    if not passed:
        raise RuntimeError(f"the main job failed:\n{report}")


def bare_command(catalog: Path) -> list[str]:
    """The baseline: only DuckDB, the same extensions and ATTACH as the library, one SELECT."""
    location = CatalogLocation.from_setting(catalog)
    paths = [extension_path(name) for name in location.extensions()]
    code = BARE.format(paths=paths, attach=location.attach_sql(LAKE), lake=LAKE)
    return [sys.executable, "-c", code]


def sessions_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *arguments]


def seconds_of(command: Sequence[str]) -> float:
    """Wall time of ``command`` as a fresh process from the project root (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def import_seconds() -> float:
    """``import sessions_lib``'s cumulative time as ``python -X importtime`` reports it."""
    command = [sys.executable, "-X", "importtime", "-c", "import sessions_lib"]
    stderr = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stderr
    (cumulative_us,) = re.findall(r"^import time:\s+\d+ \|\s+(\d+) \| sessions_lib$", stderr, re.MULTILINE)
    return int(cumulative_us) / 1e6


def first_session_id(catalog: Path) -> str:
    output = subprocess.run(
        sessions_command("list", "--json", "--catalog", str(catalog)),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return str(json.loads(output)[0]["session_id"])


def run(catalog: Path, repeats: int = 10) -> dict[str, float]:
    """Median seconds of each command over ``repeats`` turns, the ratio list / bare, and the
    median import time (the catalog is built first if need be)."""
    build_catalog(catalog)
    load_average = os.getloadavg()[0]
    commands = {
        "list_s": sessions_command("list", "--catalog", str(catalog)),
        "bare_s": bare_command(catalog),
        "show_s": sessions_command("show", first_session_id(catalog), "--catalog", str(catalog)),
        "help_s": sessions_command("--help"),
    }
    timings: dict[str, list[float]] = {name: [] for name in [*commands, "import_s"]}
    for _ in range(repeats):
        for name, command in commands.items():
            timings[name].append(seconds_of(command))
        timings["import_s"].append(import_seconds())
    results = {name: statistics.median(values) for name, values in timings.items()}
    results["ratio"] = results["list_s"] / results["bare_s"]
    results["load_average"] = load_average
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--catalog", type=Path, default=None, help="Catalog folder (default: a temp one).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = args.catalog or Path(tmp) / "fleet"
        results = run(catalog, args.repeats)
    print(f"load average {results['load_average']:.1f} on {os.cpu_count()} cores; medians of {args.repeats}:")
    for name in ("list_s", "bare_s", "show_s", "help_s", "import_s"):
        print(f"{name:>10}: {results[name]:.3f}")
    print(f"{'ratio':>10}: {results['ratio']:.2f} (list / bare)")
    ratio_met = "met" if results["ratio"] <= RATIO_GOAL else "NOT met"
    import_met = "met" if results["import_s"] <= IMPORT_GOAL_S else "NOT met"
    print(f"{'goals':>10}: ratio <= {RATIO_GOAL} {ratio_met}; import <= {IMPORT_GOAL_S} s {import_met}")


if __name__ == "__main__":
    main()
