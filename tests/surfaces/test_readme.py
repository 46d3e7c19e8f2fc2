"""The README's Python blocks run as written, in order, in a fresh working directory."""

import os
import re
import runpy
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_has_python_examples():
    assert len(python_blocks()) >= 2


def test_readme_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in python_blocks():
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / ".sessions" / "notebook" / "catalog.sqlite").is_file()
    assert namespace["per_device"].height == 2  # lead and wingman
    assert namespace["imu_sessions"].height == 2  # flight-001 and formation-001


def test_quickstart_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    quickstart = runpy.run_path(str(README.parent / "examples" / "quickstart.py"))

    quickstart["main"]([str(tmp_path / "qs")])
    out = capsys.readouterr().out
    assert "2 session(s) in org 'org_local'" in out
    assert "formation-2026-04-23-001 dv_lead,dv_wingman" in out
    assert "topics of formation-2026-04-23-001: /camera, /gps, /imu, vehicle_status" in out
    assert os.path.isdir(tmp_path / "qs" / "data")


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
