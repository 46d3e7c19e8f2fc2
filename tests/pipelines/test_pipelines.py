"""The Dagster code location: definitions load, resources, the schedule and the sensor."""

import sys
from pathlib import Path

import pytest
from dagster import RunRequest, SkipReason, build_sensor_context, multi_or_in_process_executor

from pipelines.definitions import defs, executor_from_env
from pipelines.defs.ingestion import new_recordings_sensor
from pipelines.defs.jobs import daily_fleet_schedule
from pipelines.defs.resources import CatalogResource, FleetResource
from sessions_lib import Session


def test_topic_extents_reads_batches_in_mapped_steps():
    """Planned once, one step per batch (what an executor runs in parallel), then combined."""
    graph = defs.resolve_assets_def("topic_extents").node_def
    assert {node.name for node in graph.nodes} == {
        "plan_file_batches",
        "read_file_batch",
        "combine_ingest_reports",
    }
    assert graph.node_named("plan_file_batches").definition.output_defs[0].is_dynamic


def test_the_executor_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SESSIONS_DAGSTER_EXECUTOR", raising=False)
    assert executor_from_env() is multi_or_in_process_executor
    monkeypatch.setenv("SESSIONS_DAGSTER_EXECUTOR", "threads")
    with pytest.raises(ValueError, match="'threads' is not one of multiprocess, k8s, celery"):
        executor_from_env()
    monkeypatch.setenv("SESSIONS_DAGSTER_EXECUTOR", "k8s")
    monkeypatch.setitem(sys.modules, "dagster_k8s", None)  # as if not installed
    with pytest.raises(ImportError, match="'k8s' needs the dagster-k8s package"):
        executor_from_env()


def test_catalog_resource_points_at_the_configured_catalog(tmp_path: Path):
    client = CatalogResource(location=str(tmp_path / "cat"), user="dagster", org_ids=["org_p"]).client()
    session = Session.create(name="from-dagster", roboto_client=client)
    assert session.created_by == "dagster" and session.org_id == "org_p"
    assert (tmp_path / "cat" / "catalog.sqlite").is_file()


def test_catalog_resource_takes_the_caller_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SESSIONS_CATALOG", str(tmp_path / "ambient"))
    monkeypatch.setenv("SESSIONS_USER", "scheduler")
    monkeypatch.setenv("SESSIONS_ORG_IDS", "org_fleet")
    client = CatalogResource().client()
    assert (client.user, client.org_ids) == ("scheduler", ("org_fleet",))
    assert client.catalog.location.metadata_path == tmp_path / "ambient" / "catalog.sqlite"


def test_the_schedule_runs_daily():
    assert daily_fleet_schedule.cron_schedule == "0 2 * * *"
    assert daily_fleet_schedule.job_name == "fleet_job"


def test_the_sensor_requests_a_run_when_recordings_change(tmp_path: Path):
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "a.csv").write_text("timestamp\n1\n")
    fleet = FleetResource(root=str(tmp_path))
    first = new_recordings_sensor(build_sensor_context(resources={"fleet": fleet}))
    assert isinstance(first, RunRequest)
    cursor = first.run_key
    unchanged = new_recordings_sensor(build_sensor_context(cursor=cursor, resources={"fleet": fleet}))
    assert isinstance(unchanged, SkipReason)
    (tmp_path / "fleet" / "b.csv").write_text("timestamp\n2\n")
    changed = new_recordings_sensor(build_sensor_context(cursor=cursor, resources={"fleet": fleet}))
    assert isinstance(changed, RunRequest) and changed.run_key != cursor
