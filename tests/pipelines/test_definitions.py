"""The code location loads: ``defs`` resolves everything it assembles, Dagster's own loader finds
it, and the ``sessions`` command imports none of Dagster."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

import pipelines
from pipelines.definitions import defs
from pipelines.defs.resources import FleetResource

ROOT = Path(pipelines.__file__).resolve().parents[1]


def test_defs_resolves_every_asset_check_job_schedule_and_sensor():
    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == {
        "dataset_files",
        "device_metadata",
        "topic_extents",
        "file_devices",
        "file_clocks",
        "inferred_sessions",
        "session_contributions",
        "catalog_maintenance",
    }
    assert {key.name for key in graph.asset_check_keys} == {
        "stored_bounds_equal_recomputed_bounds",
        "contributions_reference_existing_files",
        "contribution_ranges_are_two_sided",
        "metadata_devices_are_in_the_catalog",
    }
    assert defs.resolve_job_def("fleet_job").name == "fleet_job"
    assert defs.resolve_schedule_def("fleet_job_schedule").job_name == "fleet_job"
    assert defs.resolve_sensor_def("new_recordings_sensor").job_name == "fleet_job"
    assert set(defs.resources) == {"catalog", "fleet"}


def test_the_daily_schedule_runs_at_two_utc():
    schedule = defs.resolve_schedule_def("fleet_job_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")


def test_the_sensor_of_the_definitions_skips_until_recordings_change(tmp_path: Path):
    sensor = defs.resolve_sensor_def("new_recordings_sensor")
    fleet = FleetResource(root=str(tmp_path))  # no dataset folder yet: an empty fingerprint
    first = sensor(dg.build_sensor_context(resources={"fleet": fleet}))
    assert isinstance(first, dg.RunRequest)
    again = sensor(dg.build_sensor_context(cursor=first.run_key, resources={"fleet": fleet}))
    assert isinstance(again, dg.SkipReason) and again.skip_message == "no new or changed recordings"


def test_dagsters_loader_finds_defs(tmp_path: Path):
    """``dagster definitions validate -m pipelines.definitions``, run from another folder."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "definitions",
            "validate",
            "-m",
            "pipelines.definitions",
            "-d",
            str(ROOT),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "All code locations passed validation" in done.stderr + done.stdout


@pytest.mark.parametrize("module", ["pipelines", "pipelines.cli"])
def test_the_sessions_command_imports_no_dagster(module: str):
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_sensors_fingerprint_takes_any_file_name_and_changes_with_the_recordings(tmp_path: Path):
    from pipelines.defs.ingestion import folder_fingerprint

    folder = tmp_path / "recordings"
    folder.mkdir()
    odd = os.fsdecode(os.fsencode(folder) + b"/bad\xff.mcap")  # not UTF-8: a surrogate-escaped str
    Path(odd).write_bytes(b"\x89MCAP0\r\n")
    fleet = FleetResource(root=str(tmp_path), device_metadata=None, datasets=[str(folder)])
    first = folder_fingerprint(fleet)
    assert folder_fingerprint(fleet) == first
    Path(odd).write_bytes(b"\x89MCAP0\r\n more")
    assert folder_fingerprint(fleet) != first
