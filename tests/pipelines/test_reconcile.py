"""The catalog brought in line with a fleet, without Dagster: ``sessions_lib.inference.reconcile``."""

from pathlib import Path

import pytest

from sessions_lib import Client, Device, File, PermissionDeniedError, RecordedTopic, Session, register_file
from sessions_lib.inference import (
    AnchorChange,
    DeviceChange,
    DeviceMetadata,
    DeviceReconciliation,
    acting_org,
    anchor_files_by_name,
    infer_fleet_sessions,
    load_device_metadata,
    reconcile_devices,
    remap_file_devices,
    write_inferred_sessions,
)
from tests.conftest import EPOCH_2026_NS, SECOND_NS, Recordings, table_contents

# The metadata names its org (org_a): a catalog of the module's own, with that org as the caller's.
pytestmark = pytest.mark.fresh_catalog

FLEET_YAML = """
org_id: org_a
device_types:
  quadcopter: {session_gap_s: 60}
devices:
  - device_id: dv_lead
    name: lead
    device_type: quadcopter
    attributes: {serial: QX-1}
  - device_id: dv_wing
    name: wing
    device_type: quadcopter
"""


def metadata_file(folder: Path, text: str = FLEET_YAML) -> DeviceMetadata:
    path = folder / "devices.yaml"
    path.write_text(text)
    return load_device_metadata(path)


def test_reconcile_creates_the_missing_devices_then_changes_nothing(client: Client, tmp_path: Path):
    metadata = metadata_file(tmp_path)
    first = reconcile_devices(client, "org_a", metadata)
    assert first == DeviceReconciliation(created=("dv_lead", "dv_wing"), updated=(), unchanged=0)
    lead = Device.from_id("dv_lead", roboto_client=client)
    assert (lead.name, lead.device_type, dict(lead.metadata)) == ("lead", "quadcopter", {"serial": "QX-1"})

    again = reconcile_devices(client, "org_a", metadata)
    assert again == DeviceReconciliation(created=(), updated=(), unchanged=2)
    assert Device.from_id("dv_lead", roboto_client=client).modified == lead.modified


def test_reconcile_updates_only_the_devices_whose_metadata_changed(client: Client, tmp_path: Path):
    reconcile_devices(client, "org_a", metadata_file(tmp_path))
    Device.create("spare", device_id="dv_spare", roboto_client=client)  # not in the metadata
    renamed = metadata_file(tmp_path, FLEET_YAML.replace("{serial: QX-1}", "{serial: QX-9}"))

    change = reconcile_devices(client, "org_a", renamed)
    assert change == DeviceReconciliation(created=(), updated=("dv_lead",), unchanged=1)
    assert dict(Device.from_id("dv_lead", roboto_client=client).metadata) == {"serial": "QX-9"}
    assert Device.from_id("dv_spare", roboto_client=client).name == "spare"  # left alone
    assert reconcile_devices(client, "org_a", renamed).updated == ()


def test_the_acting_org_is_the_metadata_org_which_the_caller_must_belong_to(client: Client, tmp_path: Path):
    assert acting_org(client, metadata_file(tmp_path)) == "org_a"
    assert acting_org(client, metadata_file(tmp_path, FLEET_YAML.replace("org_id: org_a", ""))) == "org_a"
    with pytest.raises(PermissionDeniedError, match="not a member of org 'org_b'"):
        acting_org(client, metadata_file(tmp_path, FLEET_YAML.replace("org_a", "org_b")))


def test_sessions_inferred_from_the_activity_are_written_once(
    client: Client, recordings: Recordings, tmp_path: Path
):
    metadata = metadata_file(tmp_path)
    reconcile_devices(client, "org_a", metadata)
    stray = recordings.device("stray")  # a device the metadata does not list: its activity is left out
    dataset = recordings.dataset().dataset_id
    for device_id, start_s in [("dv_lead", 0), ("dv_lead", 30), ("dv_lead", 600), (stray, 0)]:
        span = (start_s * SECOND_NS, (start_s + 10) * SECOND_NS)
        recordings.file({"/imu": [span]}, dataset_id=dataset, device_id=device_id, offset_ns=EPOCH_2026_NS)

    inferred = infer_fleet_sessions(client, "org_a", metadata)
    assert inferred.sessions.height == 2  # 0..40 s, then 600 s: more than the 60 s gap later
    assert set(inferred.attachments["device_id"]) == {"dv_lead"}

    first = write_inferred_sessions(client, "org_a", inferred)
    assert (len(first.created), first.changed, first.deleted, first.unchanged) == (2, (), (), 0)
    assert sorted(s.min_timestamp_ns for s in Session.for_org("org_a", roboto_client=client)) == [
        EPOCH_2026_NS,
        EPOCH_2026_NS + 600 * SECOND_NS,
    ]
    again = write_inferred_sessions(client, "org_a", infer_fleet_sessions(client, "org_a", metadata))
    assert (again.created, again.changed, again.deleted, again.unchanged) == ((), (), (), 2)


MAPPED_YAML = FLEET_YAML.replace(
    "    attributes: {serial: QX-1}",
    "    attributes: {serial: QX-1}\n    match: {identifiers: {ulog.sys_uuid: 'uuid-lead'}}",
).replace("    name: wing\n", "    name: wing\n    match: {paths: ['wing/']}\n")


def test_files_follow_the_metadata_on_every_remap_without_being_read(
    client: Client, recordings: Recordings, tmp_path: Path
):
    dataset = recordings.dataset().dataset_id
    imu = RecordedTopic("/imu", spans=((0, SECOND_NS),), unix_epoch_offset_ns=EPOCH_2026_NS)

    def register(path: str, **identifiers: str):
        return register_file(dataset, path, [imu], identifiers=identifiers, roboto_client=client).file_id

    # Registered before any metadata mapped them (as `sessions ingest FOLDER` does).
    by_id = register("flights/a.ulg", **{"ulog.sys_uuid": "uuid-lead"})
    by_path = register("wing/b.mcap")
    nobody = register("other/c.mcap", **{"ulog.sys_uuid": "uuid-unknown"})
    metadata = metadata_file(tmp_path, MAPPED_YAML)
    reconcile_devices(client, "org_a", metadata)

    def stored_devices() -> dict[str, set[str | None]]:
        rows = client.catalog.read(
            lambda tx: tx.rows(
                "SELECT f.file_id, f.device_id, tp.device_id FROM files AS f "
                "JOIN topic_partitions AS tp ON tp.org_id = f.org_id AND tp.file_id = f.file_id "
                "WHERE f.org_id = 'org_a'"
            )
        )
        return {file_id: {file_device, part_device} for file_id, file_device, part_device in rows}

    first = remap_file_devices(client, "org_a", metadata, [dataset])
    assert set(first) == {
        DeviceChange(by_id, "flights/a.ulg", None, "dv_lead"),
        DeviceChange(by_path, "wing/b.mcap", None, "dv_wing"),
    }
    assert stored_devices() == {by_id: {"dv_lead"}, by_path: {"dv_wing"}, nobody: {None}}
    assert {d for d in infer_fleet_sessions(client, "org_a", metadata).attachments["device_id"]} == {
        "dv_lead",
        "dv_wing",
    }

    # An edited metadata file: the lead's identifier moves to the wing, the path rule goes.
    edited = metadata_file(
        tmp_path,
        MAPPED_YAML.replace("'uuid-lead'", "'uuid-none'").replace(
            "{paths: ['wing/']}", "{identifiers: {ulog.sys_uuid: 'uuid-lead'}}"
        ),
    )
    second = remap_file_devices(client, "org_a", edited, [dataset])
    assert set(second) == {
        DeviceChange(by_id, "flights/a.ulg", "dv_lead", "dv_wing"),
        DeviceChange(by_path, "wing/b.mcap", "dv_wing", None),
    }
    assert str(DeviceChange(by_path, "wing/b.mcap", "dv_wing", None)) == "wing/b.mcap: dv_wing -> no device"
    assert stored_devices() == {by_id: {"dv_wing"}, by_path: {None}, nobody: {None}}

    before = table_contents(client)
    assert remap_file_devices(client, "org_a", edited, [dataset]) == ()
    assert table_contents(client) == before  # nothing changed: nothing written


CLOCK_YAML = FLEET_YAML.replace(
    "    attributes: {serial: QX-1}",
    "    attributes: {serial: QX-1}\n"
    "    clock: {start_from_file_name: "
    "'(?P<year>\\d{4})-(?P<month>\\d\\d)-(?P<day>\\d\\d)_(?P<hour>\\d\\d)'}",
)


def test_unanchored_files_are_anchored_by_their_devices_clock_rule(
    client: Client, recordings: Recordings, tmp_path: Path
):
    metadata = metadata_file(tmp_path, CLOCK_YAML)
    reconcile_devices(client, "org_a", metadata)
    dataset = recordings.dataset().dataset_id
    boot = [RecordedTopic("/imu", spans=((7 * SECOND_NS, 70 * SECOND_NS),))]

    def register(path: str, device_id: str, anchored: bool):
        return register_file(
            dataset, path, boot, device_id=device_id, anchored=anchored, roboto_client=client
        ).file_id

    dated = register("lead/2026-01-02_10.ulg", "dv_lead", anchored=False)
    undated = register("lead/bench.ulg", "dv_lead", anchored=False)
    gps = register("lead/2026-01-03_10.ulg", "dv_lead", anchored=True)  # its own Unix time wins
    other = register("wing/2026-01-04_10.ulg", "dv_wing", anchored=False)  # no rule for the wing
    start = EPOCH_2026_NS + 24 * 3600 * SECOND_NS + 10 * 3600 * SECOND_NS  # 2026-01-02T10:00Z

    assert anchor_files_by_name(client, "org_a", metadata, [dataset]) == (
        AnchorChange(dated, "lead/2026-01-02_10.ulg", start),
    )
    anchored = File.from_id(dated, roboto_client=client)
    assert (anchored.anchored, anchored.timeline_offset_ns) == (True, start - 7 * SECOND_NS)
    assert [t.wall_spans for t in anchored.list_topics()] == [((start, start + 63 * SECOND_NS),)]
    for untouched in (undated, gps, other):
        assert File.from_id(untouched, roboto_client=client).timeline_offset_ns is None

    before = table_contents(client)
    assert anchor_files_by_name(client, "org_a", metadata, [dataset]) == ()
    assert table_contents(client) == before

    anchored.set_timeline_offset(123)  # set by hand: the metadata's rule wins on the next run
    assert anchor_files_by_name(client, "org_a", metadata, [dataset]) == (
        AnchorChange(dated, "lead/2026-01-02_10.ulg", start),
    )
    assert str(AnchorChange(dated, "a.ulg", start)) == "a.ulg: starts 2026-01-02T10:00:00.000Z"
