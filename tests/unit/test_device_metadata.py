"""Device metadata: the documented YAML format, how a file maps to a device, and refusals that
name the file, the line and the key."""

import re
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from ruamel.yaml import YAML

from sessions_lib.errors import InvalidRequestError
from sessions_lib.inference.device_metadata import DeviceMetadata, DeviceSpec, load_device_metadata
from sessions_lib.inference.rules import DEFAULT_GAP_NS

DATA = Path(__file__).resolve().parents[2] / "data"

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


def load(tmp_path: Path, text: str) -> DeviceMetadata:
    (tmp_path / "devices.yaml").write_text(text)
    return load_device_metadata(tmp_path / "devices.yaml")


def expected_metadata(path: Path) -> DeviceMetadata:
    """The oracle: the file read by ruamel's plain loader and mapped field by field, with the
    defaults the format documents (no validation: only for files known to be valid)."""
    document: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    types = document.get("device_types") or {}
    return DeviceMetadata(
        org_id=document.get("org_id"),
        devices=tuple(
            DeviceSpec(
                device_id=d["device_id"],
                name=d["name"],
                device_type=d.get("device_type"),
                attributes=MappingProxyType(d.get("attributes") or {}),
                mission_tags=tuple(d.get("mission_tags") or ()),
                path_patterns=tuple((d.get("match") or {}).get("paths") or ()),
                identifiers=MappingProxyType((d.get("match") or {}).get("identifiers") or {}),
            )
            for d in document["devices"]
        ),
        session_gap_s=MappingProxyType(
            {name: (spec or {}).get("session_gap_s", DEFAULT_GAP_NS // 10**9) for name, spec in types.items()}
        ),
        datasets=tuple((path.parent / folder).resolve() for folder in document.get("datasets") or ()),
    )


def test_the_embedded_fleet_metadata_loads_as_written():
    loaded = load_device_metadata(DATA / "devices.yaml")
    assert loaded == expected_metadata(DATA / "devices.yaml")
    assert loaded.datasets == (DATA.resolve() / "fleet",)  # relative to the file, not the cwd
    assert [d.device_id for d in loaded.devices] == ["dv_falcon", "dv_hawk", "dv_rover1"]


def test_the_documented_example_loads_as_written(tmp_path: Path):
    (tmp_path / "devices.yaml").write_text(EXAMPLE)
    assert load_device_metadata(tmp_path / "devices.yaml") == expected_metadata(tmp_path / "devices.yaml")


def test_keys_without_a_value_take_their_defaults(tmp_path: Path):
    loaded = load(
        tmp_path,
        "org_id:\ndatasets:\ndevice_types:\n  rover:\ndevices:\n"
        "  - device_id: a\n    name: x\n    device_type: rover\n    match:\n    attributes:\n",
    )
    assert loaded.org_id is None and loaded.datasets == ()
    assert loaded.gap_ns("rover") == DEFAULT_GAP_NS
    (device,) = loaded.devices
    assert (device.path_patterns, dict(device.identifiers), dict(device.attributes)) == ((), {}, {})


# Each refusal: the document (line numbers count from 1), then the line and the text expected.
TYPO = """\
device_types:
  quadcopter: {session_gap_s: 60}
devices:
  - device_id: a
    name: one
    device_type: quadcopter
  - device_id: b
    name: two
    device_typ: quadcopter
"""
UNDEFINED_TYPE = """\
device_types:
  quadcopter: {session_gap_s: 60}
devices:
  - device_id: a
    name: one
    device_type: quadcopter
  - device_id: b
    name: two
    device_type: quadcoptr
"""


@pytest.mark.parametrize(
    ("document", "line", "message"),
    [
        (
            TYPO,
            9,
            "devices[1]: unknown key 'device_typ' "
            "(allowed: device_id, name, device_type, attributes, mission_tags, match, clock)",
        ),
        (
            UNDEFINED_TYPE,
            9,
            "devices[1].device_type: device type 'quadcoptr' is not defined under device_types "
            "(defined: quadcopter)",
        ),
        (
            "org_id: o\ndevices: []\ndevice_type:\n  rover: {}\n",
            3,
            "(top level): unknown key 'device_type' (allowed: org_id, datasets, device_types, devices)",
        ),
        (
            "devices:\n  - device_id: a\n    name: x\n    match:\n      path: [a/]\n",
            5,
            "devices[0].match: unknown key 'path'",
        ),
        ("device_types:\n  rover:\n    gap: 3\ndevices: []\n", 3, "device_types.rover: unknown key 'gap'"),
        ("org_id: o\n", 1, "devices: required key missing"),
        ("devices:\n  - device_id: a\n\n    nam: x\n", 2, "devices[0].name: required key missing"),
        ("devices: nope\n", 1, "devices: should be a valid list, got 'nope'"),
        (
            "devices:\n  - {device_id: a, name: x}\n  - {device_id: b, name: y}\n"
            "  - {device_id: a, name: z}\n",
            4,
            "devices[2].device_id: device id 'a' is listed more than once",
        ),
        (
            "device_types:\n  q:\n    session_gap_s: 0\ndevices: []\n",
            3,
            "device_types.q.session_gap_s: should be greater than 0",
        ),
        (
            "device_types:\n  q: {session_gap_s: 1.5}\ndevices: []\n",
            2,
            "session_gap_s: should be a valid integer",
        ),
        (
            "devices:\n  - device_id: a\n    name: '  '\n",
            3,
            "devices[0].name: device name must not be empty or blank",
        ),
        (
            "devices:\n  - device_id: a\n    name: 42\n",
            3,
            "devices[0].name: should be a valid string, got 42",
        ),
        (
            "devices:\n  - device_id: a\n    name: x\n    match:\n"
            "      identifiers:\n        ulog.sys_uuid: 0001\n",
            6,
            "devices[0].match.identifiers['ulog.sys_uuid']: should be a valid string, got 1",
        ),
        (
            "devices:\n  - device_id: a\n    name: x\n    match: {paths: a/}\n",
            4,
            "devices[0].match.paths: should be a valid list",
        ),
        (
            "devices:\n  - device_id: a\n    name: x\n    match: {paths: ['!']}\n",
            4,
            "Invalid git pattern: '!'",
        ),
        (
            "devices:\n  - device_id: a\n    name: x\n    mission_tags: alpha\n",
            4,
            "devices[0].mission_tags: should be a valid list",
        ),
        ("datasets: ['']\ndevices: []\n", 1, "datasets: a dataset folder must not be empty"),
        (
            "devices:\n  - device_id: a\n    name: x\n    clock: {start_from_file_name: '(?P<year>\\d+'}\n",
            4,
            "devices[0].clock.start_from_file_name: not a regular expression",
        ),
        (
            "devices:\n  - device_id: a\n    name: x\n    clock:\n"
            "      start_from_file_name: '(?P<y>\\d+)'\n",
            5,
            "needs the named groups (?P<year>...), (?P<month>...) and (?P<day>...), and may have hour, "
            "minute and second; missing ['year', 'month', 'day'], unknown ['y']",
        ),
        (
            "devices:\n  - device_id: a\n    name: x\n    clock: {from_name: x}\n",
            4,
            "devices[0].clock: unknown key 'from_name' (allowed: start_from_file_name)",
        ),
        ("devices: [\n", 2, "cannot read device metadata"),
    ],
)
def test_bad_metadata_is_refused_naming_the_line_and_the_key(
    tmp_path: Path, document: str, line: int, message: str
):
    with pytest.raises(InvalidRequestError) as refused:
        load(tmp_path, document)
    assert str(refused.value).startswith(f"{tmp_path / 'devices.yaml'}:{line}: ")
    assert message in str(refused.value)


def test_every_problem_of_a_file_is_listed_one_per_line(tmp_path: Path):
    with pytest.raises(InvalidRequestError) as refused:
        load(
            tmp_path, "devices:\n  - device_id: a\n    nme: x\n  - device_id: b\n    name: y\n    tags: []\n"
        )
    lines = str(refused.value).splitlines()
    allowed = "(allowed: device_id, name, device_type, attributes, mission_tags, match, clock)"
    assert [re.sub(r"^.*?devices\.yaml:", "", line) for line in lines] == [
        "2: devices[0].name: required key missing",
        f"3: devices[0]: unknown key 'nme' {allowed}",
        f"6: devices[1]: unknown key 'tags' {allowed}",
    ]


def test_a_missing_file_is_refused_naming_it(tmp_path: Path):
    with pytest.raises(InvalidRequestError, match=r"devices\.yaml: cannot read device metadata"):
        load_device_metadata(tmp_path / "devices.yaml")


CLOCK_RULE = (
    r"log_\d+_(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"-(?P<hour>\d+)-(?P<minute>\d+)-(?P<second>\d+)"
)


@pytest.mark.parametrize(
    ("path", "start"),
    [
        ("hexa/log_76_2019-5-30-13-36-20.ulg", datetime(2019, 5, 30, 13, 36, 20, tzinfo=UTC)),
        ("log_1_2024-02-29-00-00-00.ulg", datetime(2024, 2, 29, tzinfo=UTC)),
        ("log_1_2019-13-30-13-36-20.ulg", None),  # month 13: no date
        ("flight.ulg", None),
    ],
)
def test_a_clock_rule_reads_the_start_from_the_path_in_utc(tmp_path: Path, path: str, start: datetime | None):
    document = (
        f"devices:\n  - device_id: a\n    name: x\n    clock: {{start_from_file_name: '{CLOCK_RULE}'}}\n"
    )
    (spec,) = load(tmp_path, document).devices
    expected = None if start is None else int(start.timestamp()) * 10**9
    assert spec.file_name_start_ns(path) == expected
    assert (
        load(tmp_path, "devices:\n  - {device_id: a, name: x}\n").devices[0].file_name_start_ns(path) is None
    )
