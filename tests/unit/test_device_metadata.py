"""Device metadata: the documented YAML format, and how a file maps to a device."""

from pathlib import Path

import pytest

from sessions_lib.errors import InvalidRequestError
from sessions_lib.inference.device_metadata import load_device_metadata
from sessions_lib.inference.rules import DEFAULT_GAP_NS

EXAMPLE = """
org_id: org_fleet
device_types:
  quadcopter: {session_gap_s: 120}
devices:
  - device_id: dv_falcon
    name: falcon
    device_type: quadcopter
    attributes: {serial: QX-0001}
    mission_tags: [formation-alpha]
    match:
      paths: ["falcon/"]
      identifiers: {ulog.sys_uuid: "0001-falcon"}
  - device_id: dv_hawk
    name: hawk
    device_type: quadcopter
    match:
      paths: ["hawk/", "*.hawk.mcap"]
      identifiers: {mcap.metadata.device.id: hawk}
  - device_id: dv_rover
    name: rover
    match:
      identifiers: {ros.namespace: /rover1}
"""


@pytest.fixture
def metadata(tmp_path: Path):
    (tmp_path / "devices.yaml").write_text(EXAMPLE)
    return load_device_metadata(tmp_path / "devices.yaml")


def test_the_documented_format_loads(metadata):
    assert metadata.org_id == "org_fleet"
    falcon = metadata.devices[0]
    assert (falcon.device_id, falcon.name, falcon.device_type) == ("dv_falcon", "falcon", "quadcopter")
    assert dict(falcon.attributes) == {"serial": "QX-0001"} and falcon.mission_tags == ("formation-alpha",)
    assert metadata.gap_ns("quadcopter") == 120 * 10**9
    assert metadata.gap_ns(None) == DEFAULT_GAP_NS


@pytest.mark.parametrize(
    ("path", "identifiers", "expected"),
    [
        ("falcon/2026-04-20/a.mcap", {}, "dv_falcon"),
        ("x/falcon/a.ulg", None, "dv_falcon"),  # a folder pattern matches at any depth
        ("day1/run.hawk.mcap", {}, "dv_hawk"),
        ("elsewhere/log.ulg", {"ulog.sys_uuid": "0001-falcon"}, "dv_falcon"),
        ("hawk/a.mcap", {"ulog.sys_uuid": "0001-falcon"}, "dv_falcon"),  # inside the file wins
        ("bags/a.bag", {"ros.namespace": "/rover1"}, "dv_rover"),
        ("bags/a.bag", {"ros.namespace": "/rover2"}, None),
        ("unknown/drone-x.mcap", {"mcap.metadata.device.id": "drone-x"}, None),
        ("falcon/hawk/a.mcap", {}, None),  # two devices by path: ambiguous, so none
    ],
)
def test_files_map_to_one_device_or_none(metadata, path, identifiers, expected):
    assert metadata.device_for(path, identifiers) == expected


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("devices: nope", "'devices' list"),
        ("devices:\n  - name: x", "device_id and a name"),
        (
            "devices:\n  - {device_id: a, name: x}\n  - {device_id: a, name: y}",
            r"\['a'\] listed more than once",
        ),
        ("device_types:\n  q: {session_gap_s: 0}\ndevices: []", "session_gap_s must be > 0"),
        ("devices:\n  - {device_id: a, name: x, match: {paths: 'a/'}}", "lists"),
        ("devices: [", "cannot read device metadata"),
    ],
)
def test_bad_metadata_is_refused_naming_the_problem(tmp_path: Path, document: str, message: str):
    (tmp_path / "devices.yaml").write_text(document)
    with pytest.raises(InvalidRequestError, match=message):
        load_device_metadata(tmp_path / "devices.yaml")
