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
from tests.benchmarks.bench_ingest_workers import batch_step_spans
from tests.conftest import table_contents

DATA = Path(__file__).resolve().parents[1] / "data"


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


# Every table's rows by what identifies them in the domain (paths, names, stable ids) rather than the
# random ids a run draws, without creation times: two runs over one folder store equal contents.
CATALOG_CONTENT = {
    "devices": "SELECT device_id, name, device_type, metadata FROM devices",
    "datasets": "SELECT dataset_id, name, root_path FROM datasets",
    "files": """SELECT dataset_id, relative_path, uri, size_bytes, format, content_hash, device_id,
        ingest_status, ingest_error, read_method, anchored, notes, identifiers FROM files""",
    "topics": "SELECT topic_id, name FROM topics",
    "topic_partitions": """SELECT f.relative_path, p.topic_id, p.device_id, p.schema_name,
        p.schema_encoding, p.message_count, p.partition_key, p.row_start, p.row_end
        FROM topic_partitions AS p LEFT JOIN files AS f USING (file_id)""",
    "timeline_extents": """SELECT f.relative_path, p.topic_id, p.partition_key, e.timeline_source,
        e.min_timestamp, e.max_timestamp, e.unix_epoch_offset_ns
        FROM timeline_extents AS e LEFT JOIN topic_partitions AS p USING (topic_part_id)
        LEFT JOIN files AS f ON f.file_id = e.file_id""",
    "activity_intervals": """SELECT f.relative_path, a.kind, a.start_ns, a.end_ns
        FROM activity_intervals AS a LEFT JOIN files AS f USING (file_id)""",
    "sessions": """SELECT session_id, name, min_timestamp_ns, max_timestamp_ns, origin, description,
        tags, metadata FROM sessions""",
    "session_files": """SELECT sf.session_id, f.relative_path, sf.range_min_timestamp_ns,
        sf.range_max_timestamp_ns FROM session_files AS sf LEFT JOIN files AS f USING (file_id)""",
    "session_devices": "SELECT session_id, device_id FROM session_devices",
}
# Keys that must be unique: a second row for one of them is a duplicate a concurrent writer made.
CATALOG_KEYS = {
    "files": "SELECT org_id, dataset_id, relative_path FROM files",
    "file ids": "SELECT file_id FROM files",
    "topics": "SELECT org_id, name FROM topics",
    "topic ids": "SELECT topic_id FROM topics",
    "topic partitions": "SELECT file_id, topic_id, partition_key FROM topic_partitions",
    "datasets": "SELECT org_id, root_path FROM datasets",
    "sessions": "SELECT session_id FROM sessions",
}


def catalog_content(client: Client) -> dict[str, list[tuple]]:
    """Every table as sorted rows of :data:`CATALOG_CONTENT` (duplicates kept, so they count)."""
    return client.catalog.read(
        lambda tx: {table: sorted(tx.rows(sql), key=repr) for table, sql in CATALOG_CONTENT.items()}
    )


def duplicate_keys(client: Client) -> dict[str, list[tuple]]:
    """Keys of :data:`CATALOG_KEYS` held by more than one row."""
    return client.catalog.read(
        lambda tx: {
            what: rows
            for what, sql in CATALOG_KEYS.items()
            if (rows := tx.rows(f"SELECT * FROM ({sql}) GROUP BY ALL HAVING count(*) > 1"))
        }
    )


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
