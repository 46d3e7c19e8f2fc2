"""The whole pipeline on a copy of data/: what the generator says it wrote is what the catalog holds,
whether the recordings are read in this process or by several processes at once."""

import itertools
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance

from pipelines.run import run_fleet
from sessions_lib import Client, Session
from sessions_lib.model.records import SessionFile
from tests.conftest import table_contents
from tests.helpers import batch_step_spans, catalog_content, duplicate_keys

DATA = Path(__file__).resolve().parents[2] / "data"

pytestmark = pytest.mark.slow  # each test runs the whole pipeline, some twice


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    shutil.copytree(DATA, tmp_path / "data")
    return tmp_path / "data"


def stored_sessions(client: Client) -> dict[tuple, list[tuple]]:
    """(device ids, min, max) -> sorted (relative path, range) of every inferred session."""
    paths = dict(client.catalog.read(lambda tx: tx.rows("SELECT file_id, relative_path FROM files")))
    result = {}
    for session in Session.for_org(roboto_client=client):
        if session.record.origin != "inferred":
            continue
        key = (tuple(sorted(session.list_devices())), session.min_timestamp_ns, session.max_timestamp_ns)
        result[key] = sorted(
            (paths[f.file_id], f.range_min_timestamp_ns, f.range_max_timestamp_ns)
            for f in session.list_files()
        )
    return result


def expected_sessions(truth: dict) -> dict[tuple, list[tuple]]:
    return {
        (tuple(sorted(s["device_ids"])), s["min_timestamp_ns"], s["max_timestamp_ns"]): sorted(
            (c["relative_path"], c["range_min_timestamp_ns"], c["range_max_timestamp_ns"])
            for c in s["contributions"]
        )
        for s in truth["sessions"]
    }


@pytest.mark.backends("sqlite", "postgres")
def test_the_pipeline_infers_what_the_generator_wrote(fleet: Path, catalog_setting: str):
    passed, summary = run_fleet(fleet, catalog_setting)
    assert passed, summary
    truth = json.loads((fleet / "ground_truth.json").read_text())
    client = Client(catalog_setting, org_ids=["org_local"])
    assert stored_sessions(client) == expected_sessions(truth)
    for path in truth["unmatched_files"]:
        assert f"no device matches: fleet/{path}" in summary
    for path in truth["corrupt_files"]:
        assert f"corrupt or unreadable: fleet/{path}" in summary
    assert "checks: 4 of 4 passed" in summary


def test_a_second_run_changes_nothing_and_hand_made_sessions_survive(fleet: Path, tmp_path: Path):
    catalog = str(tmp_path / "catalog")
    assert run_fleet(fleet, catalog)[0]
    client = Client(tmp_path / "catalog", org_ids=["org_local"])
    any_file = client.catalog.read(lambda tx: tx.scalar("SELECT file_id FROM files ORDER BY 1 LIMIT 1"))
    by_hand = Session.create(name="by hand", roboto_client=client).add_files([SessionFile(any_file)])
    before = table_contents(client)
    assert run_fleet(fleet, catalog)[0]
    assert table_contents(client) == before
    assert Session.from_id(by_hand.session_id, roboto_client=client).record == by_hand.record


def test_one_new_file_changes_only_what_it_should(fleet: Path, tmp_path: Path):
    catalog = str(tmp_path / "catalog")
    assert run_fleet(fleet, catalog)[0]
    client = Client(tmp_path / "catalog", org_ids=["org_local"])
    before = {s.session_id: s.record for s in Session.for_org(roboto_client=client)}
    start = 1_777_100_400 * 10**9  # 2026-04-25T07:00:00Z: a new day for falcon
    pl.DataFrame({"timestamp": [start + i * 10**9 for i in range(300)]}).write_parquet(
        fleet / "fleet" / "falcon" / "2026-04-25_telemetry.parquet"
    )
    assert run_fleet(fleet, catalog)[0]
    after = {s.session_id: s.record for s in Session.for_org(roboto_client=client)}
    new = set(after) - set(before)
    assert set(before) <= set(after) and len(new) == 1
    assert all(after[sid] == record for sid, record in before.items())
    (added,) = [after[sid] for sid in new]
    assert (added.name, added.min_timestamp_ns) == ("falcon-20260425-070000", start)


@pytest.mark.backends("sqlite", "postgres")
def test_ingestion_in_two_processes_stores_what_one_process_stores(
    fleet: Path, tmp_path: Path, catalog_setting: str, monkeypatch: pytest.MonkeyPatch
):
    """The real multiprocess executor, at most 2 steps at once, batches of at most 5 recordings."""
    passed, in_process_summary = run_fleet(fleet, str(tmp_path / "in-process"))
    assert passed, in_process_summary
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # a persistent instance, as in a deployment

    passed, summary = run_fleet(fleet, catalog_setting, workers=2, files_per_batch=5)

    assert passed, summary
    assert summary == in_process_summary
    in_process = Client(tmp_path / "in-process", org_ids=["org_local"])
    parallel = Client(catalog_setting, org_ids=["org_local"])
    assert duplicate_keys(parallel) == {}
    assert catalog_content(parallel) == catalog_content(in_process)
    truth = json.loads((fleet / "ground_truth.json").read_text())
    assert stored_sessions(parallel) == expected_sessions(truth)
    with DagsterInstance.get() as instance:
        steps = list(batch_step_spans(instance).values())
    assert len(steps) == 4 and len({step.pid for step in steps}) == 4  # a process each
    # Two batch processes were at work at once (whether their reads overlapped is up to the OS).
    assert any(a.launched < b.ended and b.launched < a.ended for a, b in itertools.combinations(steps, 2))
