"""A folder of real recordings nobody here wrote, with a hand-written ``devices.yaml`` beside it,
taken through what the README tells a new user: ``sessions ingest``, then ``sessions run``, then an
edit of ``devices.yaml`` and another run, then the Dagster UI on the same folder.

The oracle is the YAML itself (which device each folder's files belong to) and the recordings'
own clocks: no file whose clock is not Unix time shares a session with another file, and not a
byte is written into the (write-protected) folder.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sessions_lib import Client, File, Session
from tests.real.test_read_only import REAL, set_writable, tree
from tests.webserver import asset_graph, dagster_ui

pytestmark = [
    pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is not beside the project"),
    pytest.mark.slow,  # two pipeline runs over real recordings, and the Dagster UI
]

# Where each real recording goes in the user's folder (renamed where a name carries a date).
LAYOUT = {
    "hexa": ["ulog/log_76_2019-5-30-13-36-20.ulg", "ulog/log_83_2019-5-30-14-36-54.ulg",
             "ulog/log_84_2019-5-30-14-41-30.ulg"],
    "bench": ["ulog/yuneec_position.ulg", "ulog/yuneec_parameterchange.ulg"],
    "turtles": ["ros1/example.bag", "ros1/example-lz4.bag"],
    "sim": ["ros2/rosbag2_wbag_split_mcap"],
    "arm": ["lerobot/so101_pick_place_v30"],
    "misc": ["mcap/lichtblick_example.mcap"],
}  # fmt: skip
DATED_BENCH_LOG = ("ulog/pyulog_sample.ulg", "bench/log_7_2024-03-01-10-00-00.ulg")

DEVICES_YAML = """\
org_id: org_local
device_types:
  hexacopter: {session_gap_s: 3600}
devices:
  - device_id: dv_hexa
    name: hexa
    device_type: hexacopter
    mission_tags: [lab]
    match:
      identifiers: {ulog.sys_uuid: "003900213235510B33353534"}
  - device_id: dv_px4_lab
    name: px4-lab
    mission_tags: [lab]
    match:
      paths: ["bench/"]
  - device_id: dv_turtles
    name: turtles
    match:
      identifiers: {ros.namespaces: "/turtle1,/turtle2"}
  - device_id: dv_sim
    name: sim
    mission_tags: [lab]
    match:
      paths: ["sim/"]
  - device_id: dv_arm
    name: arm
    match:
      identifiers: {lerobot.robot_type: so101_follower}
"""
# The edit: the hexacopter's logs move to a new device, the simulator's folder is no device's,
# and the bench logs get a clock rule that dates the one whose name carries its start.
EDITED_YAML = (
    DEVICES_YAML.replace("device_id: dv_hexa\n    name: hexa\n", "device_id: dv_hexa2\n    name: hexa-2\n")
    .replace('paths: ["sim/"]', 'paths: ["simulator/"]')
    .replace(
        '      paths: ["bench/"]\n',
        '      paths: ["bench/"]\n    clock:\n      start_from_file_name: '
        "'log_\\d+_(?P<year>\\d{4})-(?P<month>\\d\\d)-(?P<day>\\d\\d)-(?P<hour>\\d\\d)-(?P<minute>\\d\\d)"
        "-(?P<second>\\d\\d)'\n",
    )
)
BENCH_START_NS = int(datetime(2024, 3, 1, 10, tzinfo=UTC).timestamp()) * 10**9


@pytest.fixture
def recordings(tmp_path: Path) -> Iterator[Path]:
    """The user's folder, write-protected, laid out as ``LAYOUT`` says."""
    root = tmp_path / "recordings"
    for folder, sources in LAYOUT.items():
        (root / folder).mkdir(parents=True)
        for source in sources:
            copy = shutil.copytree if (REAL / source).is_dir() else shutil.copy2
            copy(REAL / source, root / folder / Path(source).name)
    shutil.copy2(REAL / DATED_BENCH_LOG[0], root / DATED_BENCH_LOG[1])
    set_writable(root, False)
    yield root
    set_writable(root, True)


def sessions(*args: object) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def expected_device(relative_path: str, yaml_text: str) -> str | None:
    """The device the YAML gives a file of the layout, by its folder (the YAML's own rules, read
    plainly: the hexacopter and turtles by identifiers, the rest by folder, misc none)."""
    folder = relative_path.split("/", 1)[0]
    owners = {"hexa": re.search(r"device_id: (dv_hexa2?)\n", yaml_text).group(1), "turtles": "dv_turtles"}
    owners |= {"arm": "dv_arm", "bench": "dv_px4_lab"}
    if 'paths: ["sim/"]' in yaml_text:
        owners["sim"] = "dv_sim"
    return owners.get(folder)


def check_catalog(catalog: Path, yaml_text: str) -> dict[str, File]:
    """Every file mapped as the YAML says; no unanchored file sharing a session; no 1970 name."""
    client = Client(catalog, org_ids=["org_local"])
    files = {
        f.relative_path: File(f, client)
        for f in client.catalog.read(
            lambda tx: tx.records(File.record_type, "SELECT * FROM files WHERE org_id = 'org_local'")
        )
    }
    assert {path: f.device_id for path, f in files.items()} == {
        path: expected_device(path, yaml_text) for path in files
    }
    held: dict[str, list[File]] = defaultdict(list)
    for session in Session.for_org(roboto_client=client):
        for contribution in session.list_files():
            held[session.session_id].append(files_by_id(files)[contribution.file_id])
        members = held[session.session_id]
        if any(f.anchored is False for f in members):
            assert len({f.file_id for f in members}) == 1, (session.name, [f.relative_path for f in members])
            assert "-unanchored-" in (session.name or "")
        assert "1970" not in (session.name or "")
    client.catalog.close()
    return files


def files_by_id(files: dict[str, File]) -> dict[str, File]:
    return {f.file_id: f for f in files.values()}


def test_a_users_own_folder_through_ingest_run_edit_run_and_the_ui(recordings: Path, tmp_path: Path):
    before = tree(recordings)
    config = tmp_path / "config"
    config.mkdir()
    devices = config / "devices.yaml"
    devices.write_text(DEVICES_YAML)
    catalog = tmp_path / "catalog"

    ingested = sessions("ingest", recordings, "--catalog", catalog)
    assert "0 failed" in ingested
    first = sessions("run", recordings, "--devices", devices, "--catalog", catalog)
    files = check_catalog(catalog, DEVICES_YAML)
    mapped = [path for path in files if expected_device(path, DEVICES_YAML)]
    assert len(mapped) == len(files) - 1  # all but misc/, each ingested with no device first
    assert f"files that changed device ({len(mapped)}):" in first
    assert "  hexa/log_76_2019-5-30-13-36-20.ulg: no device -> dv_hexa" in first
    assert files["bench/log_7_2024-03-01-10-00-00.ulg"].anchored is False
    assert tree(recordings) == before

    devices.write_text(EDITED_YAML)
    second = sessions("run", recordings, "--devices", devices, "--catalog", catalog)
    assert "dv_hexa -> dv_hexa2" in second and "dv_sim -> no device" in second
    assert (
        "files anchored by their names (1):\n  bench/log_7_2024-03-01-10-00-00.ulg: starts 2024-03-01"
        in second
    )
    files = check_catalog(catalog, EDITED_YAML)
    dated = files["bench/log_7_2024-03-01-10-00-00.ulg"]
    assert dated.anchored is True
    client = Client(catalog, org_ids=["org_local"])
    (flight,) = [s for s in Session.for_org(roboto_client=client) if s.name.startswith("px4-lab-20240301")]
    assert flight.min_timestamp_ns >= BENCH_START_NS
    client.catalog.close()
    assert tree(recordings) == before

    ui = {
        "DAGSTER_HOME": str(tmp_path / "dagster"),
        "SESSIONS_CATALOG": str(catalog),
        "SESSIONS_DATA": str(recordings),
        "SESSIONS_DEVICES": str(devices),
    }
    (tmp_path / "dagster").mkdir()
    with dagster_ui(ui) as ask:
        jobs, graph = asset_graph(ask)
    assert "fleet_job" in jobs and graph["inferred_sessions"] == {"file_clocks"}
    assert tree(recordings) == before
