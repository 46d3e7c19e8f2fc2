"""The Dagster UI starts as the README says: a real ``dagster-webserver`` on the code location
``pipelines.definitions`` (what ``dagster dev -m pipelines.definitions`` serves), on 127.0.0.1,
answering GraphQL with the fleet job and its asset graph; stopped by its PID."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.webserver import asset_graph, dagster_ui

pytestmark = pytest.mark.slow  # starts a web server

# The fleet's asset graph: each asset with the assets it depends on.
FLEET_GRAPH = {
    "dataset_files": set(),
    "device_metadata": set(),
    "topic_extents": {"dataset_files", "device_metadata"},
    "file_devices": {"topic_extents", "device_metadata"},
    "file_clocks": {"file_devices"},
    "inferred_sessions": {"file_clocks"},
    "session_contributions": {"inferred_sessions"},
}


def test_the_dagster_ui_serves_the_fleet_job_and_its_asset_graph(tmp_path: Path):
    with dagster_ui({"DAGSTER_HOME": str(tmp_path), "SESSIONS_CATALOG": str(tmp_path / "catalog")}) as ask:
        jobs, graph = asset_graph(ask)
    assert "fleet_job" in jobs
    assert {name: graph[name] for name in FLEET_GRAPH} == FLEET_GRAPH
    assert "catalog_maintenance" in graph
