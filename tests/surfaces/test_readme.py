"""The README's Python blocks run as written, in order, in a fresh working directory; its SQL
block runs as written in plain DuckDB."""

import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sessions_lib import Client, Session

README = Path(__file__).resolve().parents[2] / "README.md"

# A fresh Python process with plain DuckDB: the README's extensions loaded from their packages the
# way the library loads them (no network here), then the SQL given as the first argument.
PLAIN_DUCKDB = """
import json, sys
import duckdb
from sessions_lib.catalog.extensions import load_extensions

offline = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
connection = duckdb.connect(config=offline)
load_extensions(connection, "sqlite_scanner", "ducklake")
print(json.dumps(connection.execute(sys.argv[1]).fetchall()))
"""


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def sql_block() -> str:
    (block,) = re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return block


def test_readme_has_python_examples():
    assert len(python_blocks()) >= 2


def test_readme_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(README.parent / "data")  # the examples run from the project's folder
    namespace: dict = {}
    for block in python_blocks():
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / ".sessions" / "notebook" / "catalog.sqlite").is_file()
    assert namespace["per_device"].height == 2  # lead and wingman
    assert namespace["imu_sessions"].height == 2  # flight-001 and formation-001
    # 5 Hz from the flight's first message, both ends of the minute included: 301 rows
    assert namespace["flight"].name == "falcon-afternoon" and namespace["imu"].height == 301
    assert (tmp_path / "falcon-az.png").stat().st_size > 0


def test_quickstart_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    quickstart = runpy.run_path(str(README.parent / "examples" / "quickstart.py"))

    quickstart["main"]([str(tmp_path / "qs")])
    out = capsys.readouterr().out
    assert "2 session(s) in org 'org_local'" in out
    assert "formation-2026-04-23-001 dv_lead,dv_wingman" in out
    assert "topics of formation-2026-04-23-001: /camera, /gps, /imu, vehicle_status" in out
    assert os.path.isdir(tmp_path / "qs" / "data")


def run_plain_duckdb(sql: str, cwd: Path) -> list[list]:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(README.parent), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", PLAIN_DUCKDB, sql], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_readme_sql_runs_in_plain_duckdb_where_the_catalog_is_and_after_a_move(tmp_path: Path):
    """The default catalog ./.sessions, its rows compacted into Parquet files (so the data path
    matters), read by the README's SQL from the folder holding it, then from where it was moved."""
    project = tmp_path / "project"
    local = Client(project / ".sessions", org_ids=["org_local"])
    for name in ("flight-2", "flight-1"):
        Session.create(name=name, roboto_client=local)
    Session.create(name="not-ours", roboto_client=local.as_caller(org_ids=["org_other"]))
    local.catalog.compact()
    local.catalog.close()
    assert list((project / ".sessions" / "data").rglob("*.parquet"))
    expected = [["flight-1", None, None], ["flight-2", None, None]]

    assert sorted(run_plain_duckdb(sql_block(), cwd=project)) == expected
    moved = tmp_path / "moved" / "project"
    moved.parent.mkdir()
    shutil.move(project, moved)
    assert sorted(run_plain_duckdb(sql_block(), cwd=moved)) == expected


def test_readme_devices_yaml_example_loads(tmp_path: Path):
    """The example of "Device metadata (devices.yaml)" is a valid file and means what the text says."""
    from sessions_lib.inference.device_metadata import load_device_metadata

    section = README.read_text().split("## Device metadata (devices.yaml)\n", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    (tmp_path / "devices.yaml").write_text(example)
    metadata = load_device_metadata(tmp_path / "devices.yaml")
    assert metadata.org_id == "org_fleet"
    assert metadata.datasets == (tmp_path / "recordings" / "field", tmp_path / "recordings" / "bench")
    assert (metadata.gap_ns("quadcopter"), metadata.gap_ns("rover")) == (600 * 10**9, 600 * 10**9)
    assert metadata.device_for("day1/falcon/a.ulg", None) == "dv_falcon"
    assert metadata.device_for("day1/run.falcon.mcap", {}) == "dv_falcon"
    assert metadata.device_for("any.bag", {"ros.namespace": "/rover1"}) == "dv_rover1"
    assert (
        metadata.device_for("falcon/a.bag", {"ros.namespace": "/rover1"}) == "dv_rover1"
    )  # identifiers first
    assert metadata.device_for("other/a.mcap", {"mcap.metadata.device.id": "hawk"}) is None
    bench = metadata.device("dv_bench")
    assert bench is not None and metadata.device_for("bench/log_76_2019-5-30-13-36-20.ulg", {}) == "dv_bench"
    assert bench.file_name_start_ns("bench/log_76_2019-5-30-13-36-20.ulg") == 1_559_223_380 * 10**9
