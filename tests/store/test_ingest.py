"""Ingesting a folder: every file registered or recorded with its error; re-runs are incremental."""

from pathlib import Path

import polars as pl
import pytest

import sessions_lib.ingest
from sessions_lib import Client, Device, File, RecordedTopic, Session
from sessions_lib.errors import ReaderError
from sessions_lib.ingest import ingest_folder
from sessions_lib.model.records import Recording
from tests.conftest import table_contents

pytestmark = pytest.mark.fresh_catalog  # by_path() reads the files of every org

S = 1_000_000_000
T0 = 1_776_902_400 * S


def telemetry(path: Path, start_s: int, end_s: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"timestamp": [T0 + s * S for s in range(start_s, end_s + 1)]}).write_parquet(path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "field-test"
    telemetry(root / "drone-1" / "a.parquet", 0, 10)
    telemetry(root / "drone-2" / "b.parquet", 5, 20)
    (root / "drone-2" / "broken.parquet").write_bytes(b"PAR1 cut off")
    (root / "notes.txt").write_text("not a recording")
    (root / ".hidden").write_text("skipped")
    (root / "bag" / "metadata.yaml").parent.mkdir()
    (root / "bag" / "metadata.yaml").write_text("sidecar, read with its recording")
    return root


def by_path(client: Client) -> dict[str, File]:
    rows = client.catalog.transaction(lambda tx: tx.rows("SELECT file_id, relative_path FROM files"))
    return {path: File.from_id(file_id, roboto_client=client) for file_id, path in rows}


def test_ingest_registers_every_file_and_records_failures(client: Client, folder: Path):
    report = ingest_folder(folder, roboto_client=client)
    assert report.registered == ("drone-1/a.parquet", "drone-2/b.parquet")
    assert [path for path, _ in report.failed] == ["drone-2/broken.parquet", "notes.txt"]
    assert "unknown format" in dict(report.failed)["notes.txt"]
    files = by_path(client)
    assert set(files) == {"drone-1/a.parquet", "drone-2/b.parquet", "drone-2/broken.parquet", "notes.txt"}
    good = files["drone-1/a.parquet"]
    assert (good.ingest_status, good.format, good.record.read_method, good.record.anchored) == (
        "ingested",
        "parquet",
        "scan",
        True,
    )
    assert good.size_bytes == (folder / "drone-1" / "a.parquet").stat().st_size
    assert good.uri == (folder / "drone-1" / "a.parquet").as_uri()
    assert [t.wall_spans for t in good.list_topics()] == [((T0, T0 + 10 * S),)]
    broken = files["drone-2/broken.parquet"]
    assert broken.ingest_status == "failed" and "broken.parquet" in broken.ingest_error
    assert list(broken.list_topics()) == []
    assert "2 registered, 0 unchanged, 2 failed" in report.summary()


def test_re_ingesting_an_unchanged_folder_changes_nothing(client: Client, folder: Path):
    first = ingest_folder(folder, roboto_client=client)
    before = table_contents(client)
    again = ingest_folder(folder, roboto_client=client)
    assert again.dataset_id == first.dataset_id
    assert again.registered == () and again.failed == first.failed  # still failing, not read again
    assert len(again.unchanged) == 2
    assert table_contents(client) == before


def test_a_changed_file_replaces_its_extents_and_refreshes_sessions(client: Client, folder: Path):
    ingest_folder(folder, roboto_client=client)
    a = by_path(client)["drone-1/a.parquet"]
    session = Session.create(roboto_client=client).add_file(a)
    assert session.max_timestamp_ns == T0 + 10 * S
    telemetry(folder / "drone-1" / "a.parquet", 0, 30)
    report = ingest_folder(folder, roboto_client=client)
    assert report.registered == ("drone-1/a.parquet",)
    assert File.from_id(a.file_id, roboto_client=client).file_id == a.file_id
    assert Session.from_id(session.session_id, roboto_client=client).max_timestamp_ns == T0 + 30 * S


def test_a_file_that_breaks_keeps_nothing_stale(client: Client, folder: Path):
    ingest_folder(folder, roboto_client=client)
    (folder / "drone-1" / "a.parquet").write_bytes(b"PAR1 now corrupt")
    report = ingest_folder(folder, roboto_client=client)
    assert report.registered == ()
    # the new failure, and the two files that failed before and still do (not read again)
    assert [p for p, _ in report.failed] == ["drone-1/a.parquet", "drone-2/broken.parquet", "notes.txt"]
    a = by_path(client)["drone-1/a.parquet"]
    assert a.ingest_status == "failed" and list(a.list_topics()) == []
    assert by_path(client)["drone-2/b.parquet"].ingest_status == "ingested"


def test_devices_are_resolved_per_file(client: Client, folder: Path):
    Device.create("one", device_id="dv_1", roboto_client=client)
    Device.create("two", device_id="dv_2", roboto_client=client)
    ingest_folder(
        folder,
        device_for=lambda path, _: {"drone-1": "dv_1", "drone-2": "dv_2"}.get(path.split("/")[0]),
        roboto_client=client,
    )
    files = by_path(client)
    assert (files["drone-1/a.parquet"].device_id, files["drone-2/b.parquet"].device_id) == ("dv_1", "dv_2")
    assert files["notes.txt"].device_id is None


def test_not_a_folder(client: Client, tmp_path: Path):
    with pytest.raises(ReaderError, match="not a folder"):
        ingest_folder(tmp_path / "missing", roboto_client=client)


def test_a_recording_read_into_what_cannot_be_stored_is_registered_with_its_error(
    client: Client, folder: Path, monkeypatch: pytest.MonkeyPatch
):
    read = sessions_lib.ingest.read_recording

    def overflowing(path: Path, options):
        if path.name != "a.parquet":
            return read(path, options)
        topic = RecordedTopic("/far", spans=((2**62, 2**62),), unix_epoch_offset_ns=2**62)
        return Recording("parquet", (topic,), "scan")

    monkeypatch.setattr(sessions_lib.ingest, "read_recording", overflowing)
    report = ingest_folder(folder, roboto_client=client)
    assert "drone-2/b.parquet" in report.registered
    assert "does not fit in int64" in dict(report.failed)["drone-1/a.parquet"]
    assert by_path(client)["drone-1/a.parquet"].ingest_status == "failed"


def test_a_file_that_cannot_be_opened_is_registered_with_its_error(
    client: Client, folder: Path, monkeypatch: pytest.MonkeyPatch
):
    stamp = sessions_lib.ingest.stamp_file

    def vanishing(path: Path, *, verify: bool = False):
        if path.name == "a.parquet":
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return stamp(path, verify=verify)

    monkeypatch.setattr(sessions_lib.ingest, "stamp_file", vanishing)
    report = ingest_folder(folder, roboto_client=client)
    assert "drone-2/b.parquet" in report.registered
    assert "cannot read" in dict(report.failed)["drone-1/a.parquet"]
