"""``sessions run`` / ``python -m pipelines`` over any folder layout: which dataset folders and which
device metadata a command line means, what is refused before Dagster starts, and two whole runs
(a flat folder with ``--devices``; a folder without any device metadata)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.defs.resources import FleetResource
from pipelines.run import main, run_fleet
from sessions_lib import Client, Session
from sessions_lib.errors import InvalidRequestError
from sessions_lib.inference.device_metadata import NO_DEVICE_METADATA
from sessions_lib.ingest import dataset_for_folder

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
TRUTH = json.loads((DATA / "ground_truth.json").read_text())
ORG = "org_local"
runner = CliRunner(env={"SESSIONS_ORG_IDS": ORG, "SESSIONS_USER": "cli-tester", "SESSIONS_CATALOG": None})


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def flat_name(relative_path: str) -> str:
    return relative_path.replace("/", "__")


@pytest.fixture
def flat(tmp_path: Path) -> Path:
    """Every recording of data/fleet in one folder, no subfolders, no devices.yaml (a ROS 2 bag's
    metadata.yaml sidecar left behind), so only identifiers inside the files can map them."""
    folder = tmp_path / "flat"
    folder.mkdir()
    for relative_path in TRUTH["files"]:
        shutil.copy(DATA / "fleet" / relative_path, folder / flat_name(relative_path))
    return folder


# -- which folders and which metadata -----------------------------------------------------------


def test_data_still_means_the_embedded_fleet(monkeypatch: pytest.MonkeyPatch):
    """``python -m pipelines data``, ``sessions run`` and ``dagster dev``'s default resource."""
    monkeypatch.chdir(ROOT)
    for fleet in (FleetResource.for_folders([Path("data")]), FleetResource.for_folders([]), FleetResource()):
        assert fleet.metadata_file() is not None and fleet.metadata_file().resolve() == DATA / "devices.yaml"
        assert fleet.dataset_folders() == [DATA / "fleet"]
        assert [d.device_id for d in fleet.metadata().devices] == ["dv_falcon", "dv_hawk", "dv_rover1"]


def test_folders_and_devices_give_the_datasets_and_the_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b", "fleet/logs", "described"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "fleet" / "devices.yaml").write_text("datasets: [logs]\ndevices: []\n")
    (tmp_path / "described" / "devices.yaml").write_text("devices: []\n")
    devices = tmp_path / "fleet" / "devices.yaml"

    bare = FleetResource.for_folders([Path("a")])  # no devices.yaml anywhere: no metadata
    assert (bare.metadata_file(), bare.metadata(), bare.dataset_folders()) == (
        None,
        NO_DEVICE_METADATA,
        [tmp_path / "a"],
    )
    several = FleetResource.for_folders([Path("a"), Path("b")], Path("fleet/devices.yaml"))
    assert several.metadata_file() == devices and several.dataset_folders() == [
        tmp_path / "a",
        tmp_path / "b",
    ]
    only_devices = FleetResource.for_folders([], Path("fleet/devices.yaml"))  # the folders it lists
    assert only_devices.dataset_folders() == [tmp_path / "fleet" / "logs"]
    one_fleet = FleetResource.for_folders([Path("fleet")])
    assert one_fleet.metadata_file() == devices and one_fleet.dataset_folders() == [
        tmp_path / "fleet" / "logs"
    ]
    lists_none = FleetResource.for_folders([Path("described")])  # the folder is its own dataset
    assert lists_none.dataset_folders() == [tmp_path / "described"]
    overridden = FleetResource.for_folders([Path("described")], devices)  # --devices: the folder is data
    assert overridden.metadata_file() == devices and overridden.dataset_folders() == [tmp_path / "described"]
    # Steps of a multiprocess run rebuild the resource from its settings, in any folder.
    monkeypatch.chdir(ROOT)
    assert FleetResource(**several.model_dump()).dataset_folders() == [tmp_path / "a", tmp_path / "b"]


# -- refused before the run starts --------------------------------------------------------------


def test_a_missing_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)  # short relative paths: typer's error box wraps long lines
    result = invoke("run", ".", "no-such-folder", "--catalog", "catalog")
    assert result.exit_code == 2 and "dataset folder no-such-folder does not exist" in result.output
    result = invoke("run", ".", "--devices", "nope.yaml", "--catalog", "catalog")
    assert result.exit_code == 2 and "'nope.yaml' does not exist" in result.output
    with pytest.raises(SystemExit) as usage:
        main(["no-such-folder", "--catalog", "catalog"])
    err = capsys.readouterr().err
    assert usage.value.code == 2 and "error: dataset folder no-such-folder does not exist" in err
    assert "Traceback" not in err
    assert not (tmp_path / "catalog").exists()


def test_bad_metadata_and_missing_listed_folders_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    devices = tmp_path / "devices.yaml"
    devices.write_text("devices:\n  - device_id: a\n    name: x\n    device_typ: drone\n")
    result = invoke("run", tmp_path, "--catalog", tmp_path / "catalog")
    assert result.exit_code == 1 and f"{devices}:4: devices[0]: unknown key 'device_typ'" in result.stderr
    devices.write_text("datasets: [logs]\ndevices: []\n")
    with pytest.raises(InvalidRequestError, match=f"dataset folder {tmp_path / 'logs'} does not exist"):
        run_fleet(tmp_path, str(tmp_path / "catalog"))
    assert main([str(tmp_path), "--catalog", str(tmp_path / "catalog")]) == 1
    assert capsys.readouterr().err == (
        f"error: dataset folder {tmp_path / 'logs'} does not exist (listed in {devices})\n"
    )
    assert not (tmp_path / "catalog").exists()


# -- whole runs -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_flat_folder_with_devices_maps_files_by_their_identifiers(
    flat: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """``sessions run flat --devices data/devices.yaml`` from another folder: the devices and
    sessions of the ground truth (every readable recording there carries an identifier), and the
    same dataset that ``sessions ingest flat`` then finds unchanged."""
    monkeypatch.chdir(tmp_path)
    catalog = tmp_path / "catalog"
    result = invoke("run", "flat", "--devices", DATA / "devices.yaml", "--catalog", catalog)
    assert result.exit_code == 0, result.output
    assert "checks: 4 of 4 passed" in result.stdout and "no device metadata" not in result.stdout

    client = Client(catalog, org_ids=[ORG])
    try:
        stored = dict(client.catalog.read(lambda tx: tx.rows("SELECT relative_path, device_id FROM files")))
        sessions = {
            (tuple(sorted(s.list_devices())), s.min_timestamp_ns, s.max_timestamp_ns)
            for s in Session.for_org(roboto_client=client)
        }
        dataset = dataset_for_folder(flat, roboto_client=client)
    finally:
        client.catalog.close()
    assert stored == {  # a corrupt file has no identifiers to read, and its path says nothing here
        flat_name(path): None if path in TRUTH["corrupt_files"] else truth["device_id"]
        for path, truth in TRUTH["files"].items()
    }
    assert sessions == {
        (tuple(sorted(s["device_ids"])), s["min_timestamp_ns"], s["max_timestamp_ns"])
        for s in TRUTH["sessions"]
    }
    assert dataset.root_path == str(flat.resolve())
    again = invoke("ingest", "flat", "--catalog", catalog)
    assert f"0 registered, {len(TRUTH['files']) - 1} unchanged, 1 failed" in again.stdout, again.output


@pytest.mark.slow
def test_a_folder_without_device_metadata_is_ingested_quietly(flat: Path, tmp_path: Path):
    """``python -m pipelines flat``: every readable file registered, none mapped, the summary
    says why; Dagster's own logs stay off the terminal (nothing on stderr)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "SESSIONS_ORG_IDS": ORG,
    }
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "flat", "--catalog", str(tmp_path / "catalog")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert (
        "no device metadata (devices.yaml): the recordings were ingested, none mapped to a device"
        in done.stdout
    )
    for path in TRUTH["files"]:
        problem = "corrupt or unreadable" if path in TRUTH["corrupt_files"] else "no device matches"
        assert f"{problem}: flat/{flat_name(path)}" in done.stdout
    assert "checks: 4 of 4 passed" in done.stdout
