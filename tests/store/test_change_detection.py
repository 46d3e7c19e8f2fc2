"""Change detection: a re-ingest reads a file again only when its size, modification time or
fingerprint (size and first and last MiB) changed; ``verify=True`` compares every byte.

Each case writes a real MCAP with the ``mcap`` writer, ingests it, changes it one way, and asserts
how the next ingest classifies it and what the catalog then holds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mcap.reader import make_reader
from mcap.writer import CompressionType, Writer

import sessions_lib.ingest
from sessions_lib import Client, File
from sessions_lib.ingest import FINGERPRINT_REGION_BYTES, ingest_folder, stamp_file
from tests.helpers import registered_content

S = 1_000_000_000
T0 = 1_776_902_400 * S
PAYLOAD = 4096  # bytes per message: 2,000 messages make an 8 MiB file, far more than both regions


def write_mcap(path: Path, messages: int = 2000, last_log_time: int | None = None, fill: int = 0) -> None:
    """An uncompressed chunked MCAP of one topic, one message per 10 ms from T0, payload bytes
    ``fill``; ``last_log_time`` moves only the last message (and so only the summary changes)."""
    with path.open("wb") as file:
        writer = Writer(file, compression=CompressionType.NONE, chunk_size=1 << 20)
        writer.start()
        schema = writer.register_schema("Blob", "jsonschema", b"{}")
        channel = writer.register_channel("/blob", "json", schema)
        for index in range(messages):
            log_time = T0 + index * 10**7
            if index == messages - 1 and last_log_time is not None:
                log_time = last_log_time
            writer.add_message(
                channel, log_time=log_time, publish_time=log_time, data=bytes([fill]) * PAYLOAD
            )
        writer.finish()


def end_of(path: Path) -> int:
    with path.open("rb") as file:
        summary = make_reader(file).get_summary()
    assert summary is not None and summary.statistics is not None
    return summary.statistics.message_end_time


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "recordings"
    root.mkdir()
    write_mcap(root / "flight.mcap")
    return root


def keep_mtime(path: Path):
    """Restore ``path``'s modification time after rewriting it, as a careless tool might."""
    mtime = path.stat().st_mtime_ns
    return lambda: os.utime(path, ns=(mtime, mtime))


def stored(client: Client) -> File:
    (file_id,) = client.catalog.read(
        lambda tx: tx.rows("SELECT file_id FROM files WHERE org_id = $o", o=client.org_ids[0])
    )[0]
    return File.from_id(file_id, roboto_client=client)


def test_an_unchanged_file_is_not_read_again(client: Client, folder: Path, monkeypatch: pytest.MonkeyPatch):
    ingest_folder(folder, roboto_client=client)
    before = registered_content(client, client.org_ids[0])
    monkeypatch.setattr(sessions_lib.ingest, "read_recording", lambda *_: pytest.fail("read again"))
    again = ingest_folder(folder, roboto_client=client)
    assert (again.registered, again.unchanged) == ((), ("flight.mcap",))
    assert registered_content(client, client.org_ids[0]) == before


def test_a_touched_file_is_read_again_and_stores_the_same_rows(client: Client, folder: Path):
    ingest_folder(folder, roboto_client=client)
    before = registered_content(client, client.org_ids[0])
    path = folder / "flight.mcap"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + S))
    again = ingest_folder(folder, roboto_client=client)
    assert again.registered == ("flight.mcap",)
    after = registered_content(client, client.org_ids[0])
    assert {k: v for k, v in after.items() if k != "files"} == {
        k: v for k, v in before.items() if k != "files"
    }
    assert stored(client).record.mtime_ns == path.stat().st_mtime_ns


def test_a_replaced_summary_with_the_same_size_and_mtime_is_caught(client: Client, folder: Path):
    ingest_folder(folder, roboto_client=client)
    path = folder / "flight.mcap"
    size, restore = path.stat().st_size, keep_mtime(path)
    write_mcap(path, last_log_time=T0 + 3600 * S)
    restore()
    assert path.stat().st_size == size and end_of(path) == T0 + 3600 * S
    again = ingest_folder(folder, roboto_client=client)
    assert again.registered == ("flight.mcap",)
    ((_, high),) = next(iter(stored(client).list_topics())).wall_spans[-1:]
    assert high == T0 + 3600 * S


def test_appended_and_truncated_files_are_caught(client: Client, folder: Path):
    ingest_folder(folder, roboto_client=client)
    path = folder / "flight.mcap"
    restore = keep_mtime(path)
    write_mcap(path, messages=2500)  # longer: appended data
    restore()
    assert ingest_folder(folder, roboto_client=client).registered == ("flight.mcap",)
    assert stored(client).record.fingerprint == stamp_file(path).fingerprint
    data = path.read_bytes()
    restore = keep_mtime(path)
    path.write_bytes(data[: len(data) // 2])  # cut off: no summary, no footer
    restore()
    truncated = ingest_folder(folder, roboto_client=client)
    assert truncated.registered == ("flight.mcap",) or [p for p, _ in truncated.failed] == ["flight.mcap"]
    assert stored(client).size_bytes == len(data) // 2


def test_a_same_size_rewrite_between_the_fingerprinted_ends_needs_verify(client: Client, folder: Path):
    path = folder / "flight.mcap"
    ingest_folder(folder, verify=True, roboto_client=client)
    assert stored(client).content_hash is not None
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    assert FINGERPRINT_REGION_BYTES < middle < len(data) - FINGERPRINT_REGION_BYTES
    data[middle] ^= 0xFF  # one payload byte: the index, and so the extents, stay as they are
    restore = keep_mtime(path)
    path.write_bytes(bytes(data))
    restore()
    assert ingest_folder(folder, roboto_client=client).unchanged == ("flight.mcap",)
    verified = ingest_folder(folder, verify=True, roboto_client=client)
    assert verified.registered == ("flight.mcap",)
    assert ingest_folder(folder, verify=True, roboto_client=client).unchanged == ("flight.mcap",)


def test_a_small_file_is_fingerprinted_whole(tmp_path: Path):
    path = tmp_path / "small.mcap"
    write_mcap(path, messages=10)
    assert path.stat().st_size < 2 * FINGERPRINT_REGION_BYTES
    first = stamp_file(path).fingerprint
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert stamp_file(path).fingerprint != first


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts bytes read through /proc/self/io")
def test_stamping_a_large_file_reads_its_two_ends_only(tmp_path: Path):
    path = tmp_path / "large.bin"
    with path.open("wb") as file:
        file.truncate(256 << 20)  # 256 MiB, sparse

    def bytes_read() -> int:
        fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
        return int(fields["rchar"])

    before = bytes_read()
    stamp_file(path)
    read = bytes_read() - before
    assert 2 * FINGERPRINT_REGION_BYTES <= read < 2 * FINGERPRINT_REGION_BYTES + 64 * 1024
    before = bytes_read()
    stamp_file(path, verify=True)
    assert bytes_read() - before >= 256 << 20
