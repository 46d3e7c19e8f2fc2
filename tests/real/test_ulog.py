"""A real ULog rewritten by pyulog with some topics' timestamps all set to 0: those topics keep their
message counts (pyulog's own parse of the rewritten file is the oracle), have no time span, are named
in a note, and are stored and listed with no extents."""

from pathlib import Path

import pytest
from pyulog import ULog

from sessions_lib import Client, Dataset
from sessions_lib.ingest import ingest_folder
from sessions_lib.readers import read_recording

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "ulog" / "foxglove_test_ulog.ulg"
pytestmark = pytest.mark.skipif(not REAL.is_file(), reason=f"{REAL} is not beside the project")
ZEROED = {("vehicle_attitude", 0): "vehicle_attitude", ("sensor_accel", 1): "sensor_accel/1"}


@pytest.fixture
def zeroed(tmp_path: Path) -> Path:
    """The real log with every timestamp of ``ZEROED``'s topics set to 0, written by pyulog."""
    log = ULog(str(REAL))
    for data in log.data_list:
        if (data.name, data.multi_id) in ZEROED:
            data.data["timestamp"][:] = 0
    path = tmp_path / "flight" / "zeroed.ulg"
    path.parent.mkdir()
    log.write_ulog(str(path))
    return path


def all_zero_counts(path: Path) -> dict[str, int]:
    """pyulog's parse: the message count of every topic whose samples are all at timestamp 0."""
    return {
        data.name if data.multi_id == 0 else f"{data.name}/{data.multi_id}": len(data.data["timestamp"])
        for data in ULog(str(path)).data_list
        if not data.data["timestamp"].any()
    }


def test_topics_all_at_timestamp_0_keep_their_counts_and_have_no_span(zeroed: Path):
    expected = all_zero_counts(zeroed)
    assert set(ZEROED.values()) < set(expected)  # transponder_report was at 0 in the original
    recording = read_recording(zeroed)
    topics = {t.name: t for t in recording.topics}
    assert {name: (topics[name].message_count, topics[name].spans) for name in expected} == {
        name: (count, ()) for name, count in expected.items()
    }
    assert f"topics with every sample at timestamp 0 have no time span: {', '.join(sorted(expected))}" in (
        recording.notes
    )
    assert all(t.spans for name, t in topics.items() if name not in expected)


def test_they_are_stored_and_listed_without_extents(client: Client, zeroed: Path):
    expected = all_zero_counts(zeroed)
    report = ingest_folder(zeroed.parent, roboto_client=client)
    assert report.registered == ("zeroed.ulg",) and report.failed == ()
    (file,) = Dataset.from_id(report.dataset_id, roboto_client=client).list_files()
    listed = {t.name: t for t in file.list_topics()}
    assert {name: (listed[name].message_count, listed[name].wall_spans) for name in expected} == {
        name: (count, ()) for name, count in expected.items()
    }
    assert all(t.wall_spans for name, t in listed.items() if name not in expected)
    assert any("have no time span: sensor_accel/1" in note for note in file.notes)
    rows = client.catalog.transaction(
        lambda tx: tx.rows(
            "SELECT count(*) FROM topic_partitions WHERE file_id = $file_id AND min_wall_ns IS NULL"
            " AND max_wall_ns IS NULL",
            file_id=file.file_id,
        )
    )
    assert rows == [(len(expected),)]
