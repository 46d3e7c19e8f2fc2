"""A batch ingest killed with SIGKILL at random points leaves a catalog that opens, holds only whole
batches (each file with all its rows), and converges to the uninterrupted result when re-run."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from sessions_lib import Client
from sessions_lib.ingest import ingest_folder
from tests.helpers import duplicate_keys, registered_content

pytestmark = pytest.mark.slow

S = 1_000_000_000
T0 = 1_776_902_400 * S
FILES, PER_TRANSACTION, KILLS = 60, 5, 5
ORG = "org_a"

# Ingests the folder in transactions of PER_TRANSACTION files, slowed to ~10 ms a file so that a
# kill lands in the middle; says "ready" once its catalog is open.
INGEST = textwrap.dedent(
    f"""
    import sys, time
    from pathlib import Path
    from sessions_lib import Client
    from sessions_lib.ingest import ingest_folder

    client = Client(sys.argv[1], user="tester", org_ids=["{ORG}"])
    client.catalog.connection()
    print("ready", flush=True)
    slowly = lambda path, identifiers: time.sleep(0.01)
    ingest_folder(
        Path(sys.argv[2]), files_per_transaction={PER_TRANSACTION}, device_for=slowly, roboto_client=client
    )
    """
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "telemetry"
    root.mkdir()
    for index in range(FILES):
        start = T0 + index * 60 * S
        pl.DataFrame({"timestamp": [start + s * S for s in range(20)]}).write_parquet(
            root / f"run-{index:02d}.parquet"
        )
    return root


def killed_midway(catalog: Path, folder: Path, delay_s: float) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(catalog), str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    time.sleep(delay_s)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_a_killed_batch_ingest_keeps_whole_batches_and_a_re_run_converges(tmp_path: Path, folder: Path):
    uninterrupted = Client(tmp_path / "uninterrupted", user="tester", org_ids=[ORG])
    ingest_folder(folder, files_per_transaction=PER_TRANSACTION, roboto_client=uninterrupted)
    expected = registered_content(uninterrupted, ORG)
    rows_of = {table: {} for table in expected}
    for table, rows in expected.items():
        for row in rows:
            rows_of[table].setdefault(row[0], []).append(row)
    paths = sorted(p.name for p in folder.iterdir())

    catalog = tmp_path / "killed"
    seed = random.randrange(10**6)
    delays = random.Random(seed).sample([i / 20 for i in range(1, 30)], KILLS)
    partial = 0
    for delay in delays:
        killed_midway(catalog, folder, delay)
        client = Client(catalog, user="tester", org_ids=[ORG])  # the catalog opens
        content = registered_content(client, ORG)
        held = sorted(row[0] for row in content["files"])
        assert held == paths[: len(held)] and len(held) % PER_TRANSACTION == 0, (seed, delay, held)
        for table in ("timeline_extents", "topic_partitions"):  # each file whole
            assert content[table] == sorted((r for p in held for r in rows_of[table].get(p, [])), key=repr)
        assert duplicate_keys(client) == {}
        partial += 0 < len(held) < FILES
        client.catalog.close()
    assert partial, f"no kill landed in the middle of an ingest (delays {delays})"

    client = Client(catalog, user="tester", org_ids=[ORG])
    ingest_folder(folder, files_per_transaction=PER_TRANSACTION, roboto_client=client)
    assert registered_content(client, ORG) == expected
    assert duplicate_keys(client) == {}
