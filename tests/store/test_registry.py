"""Registration: the one write path for datasets, devices, files and their extents."""

import pytest

from sessions_lib import (
    Client,
    DeviceRecord,
    FileRecord,
    RecordedTopic,
    Session,
    SessionFile,
    register_dataset,
    register_device,
    register_file,
)
from tests.conftest import table_contents


def extents_of(client: Client, file_id: str) -> list[tuple]:
    return client.catalog.transaction(
        lambda tx: tx.rows(
            "SELECT t.name, te.min_timestamp, te.max_timestamp, te.unix_epoch_offset_ns, te.timeline_source "
            "FROM timeline_extents te JOIN topic_partitions tp USING (topic_part_id) "
            "JOIN topics t ON t.topic_id = tp.topic_id WHERE te.file_id = $f ORDER BY 1, 2",
            f=file_id,
        )
    )


def test_register_file_stores_partitions_and_extents(client: Client):
    device = register_device(
        "drone-7", device_type="quadcopter", metadata={"serial": "X7"}, roboto_client=client
    )
    assert isinstance(device, DeviceRecord) and device.device_id.startswith("dv_")
    assert device.metadata == {"serial": "X7"}
    dataset = register_dataset("field", root_path="/data/field", roboto_client=client)
    file = register_file(
        dataset.dataset_id,
        "flights/one.ulg",
        [
            RecordedTopic("/imu", ((0, 5), (10, 20)), unix_epoch_offset_ns=1_000, message_count=42),
            RecordedTopic("/gps", ((3, 4),), timeline_source="publish_time", schema_name="NavSat"),
        ],
        device_id=device.device_id,
        uri="file:///data/field/flights/one.ulg",
        size_bytes=1234,
        format="ulog",
        content_hash="abc",
        roboto_client=client,
    )
    assert isinstance(file, FileRecord) and file.file_id.startswith("fl_")
    assert (file.ingest_status, file.ingest_error, file.device_id) == ("ingested", None, device.device_id)
    assert extents_of(client, file.file_id) == [
        ("/gps", 3, 4, 0, "publish_time"),
        ("/imu", 0, 5, 1_000, "log_time"),
        ("/imu", 10, 20, 1_000, "log_time"),
    ]
    partitions = client.catalog.transaction(
        lambda tx: tx.rows(
            "SELECT schema_name, message_count, device_id FROM topic_partitions "
            "WHERE file_id = $f ORDER BY 1",
            f=file.file_id,
        )
    )
    assert partitions == [("NavSat", None, device.device_id), (None, 42, device.device_id)]


def test_re_registering_unchanged_content_is_a_no_op(client: Client):
    dataset = register_dataset("d", roboto_client=client)
    first = register_file(
        dataset.dataset_id,
        "a.mcap",
        [RecordedTopic("/imu", ((0, 10),))],
        content_hash="h1",
        roboto_client=client,
    )
    before = table_contents(client)
    again = register_file(
        dataset.dataset_id,
        "a.mcap",
        [RecordedTopic("/imu", ((0, 10),))],
        content_hash="h1",
        roboto_client=client,
    )
    assert again == first
    assert table_contents(client) == before


def test_changed_content_replaces_extents_and_refreshes_session_bounds(client: Client):
    dataset = register_dataset("d", roboto_client=client)
    old = register_file(
        dataset.dataset_id,
        "a.mcap",
        [RecordedTopic("/imu", ((0, 10),))],
        content_hash="h1",
        roboto_client=client,
    )
    other = register_file(
        dataset.dataset_id, "b.mcap", [RecordedTopic("/gps", ((5, 6),))], roboto_client=client
    )
    holder = Session.create(roboto_client=client).add_files(
        [SessionFile(old.file_id), SessionFile(other.file_id)]
    )
    narrowed = Session.create(roboto_client=client).add_file(old, 0, 3)
    assert (holder.min_timestamp_ns, holder.max_timestamp_ns) == (0, 10)

    new = register_file(
        dataset.dataset_id,
        "a.mcap",
        [RecordedTopic("/imu", ((100, 200),)), RecordedTopic("/cam", ((150, 160),))],
        content_hash="h2",
        roboto_client=client,
    )
    assert new.file_id == old.file_id and new.created == old.created and new.modified > old.modified
    assert extents_of(client, old.file_id) == [
        ("/cam", 150, 160, 0, "log_time"),
        ("/imu", 100, 200, 0, "log_time"),
    ]
    refreshed = Session.from_id(holder.session_id, roboto_client=client)
    assert (refreshed.min_timestamp_ns, refreshed.max_timestamp_ns) == (5, 200)
    assert [t.name for t in refreshed.list_topics()] == ["/cam", "/gps", "/imu"]
    still_narrowed = Session.from_id(narrowed.session_id, roboto_client=client)
    assert (still_narrowed.min_timestamp_ns, still_narrowed.max_timestamp_ns) == (0, 3)
    assert list(still_narrowed.list_topics()) == []


def test_a_failed_file_is_recorded_with_its_error(client: Client):
    dataset = register_dataset("d", roboto_client=client)
    bad = register_file(
        dataset.dataset_id, "broken.mcap", ingest_error="truncated: no footer", roboto_client=client
    )
    assert (bad.ingest_status, bad.ingest_error) == ("failed", "truncated: no footer")
    assert extents_of(client, bad.file_id) == []


@pytest.mark.fresh_catalog  # counts the topic rows of every org
def test_one_topic_row_per_org_and_name(client: Client):
    dataset = register_dataset("d", roboto_client=client)
    for i in range(3):
        register_file(
            dataset.dataset_id, f"{i}.mcap", [RecordedTopic("/imu", ((i, i + 1),))], roboto_client=client
        )
    topics = client.catalog.transaction(lambda tx: tx.rows("SELECT name, count(*) FROM topics GROUP BY name"))
    assert topics == [("/imu", 1)]
