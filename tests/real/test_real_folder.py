"""Every real recording in ../shared/data/real ingests through the one path, by content."""

from collections import Counter
from pathlib import Path

import pytest

from sessions_lib import Client
from sessions_lib.ingest import ingest_folder

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is not beside the project")
@pytest.mark.slow  # ingests every real recording
@pytest.mark.fresh_catalog  # counts the files of every org
def test_the_real_folder_ingests_and_only_its_notes_fail(client: Client):
    report = ingest_folder(REAL, roboto_client=client)
    assert [path for path, _ in report.failed] == ["SOURCES.md"], report.summary()
    rows = client.catalog.transaction(
        lambda tx: tx.rows("SELECT format, read_method, anchored FROM files WHERE ingest_status = 'ingested'")
    )
    formats = Counter(fmt for fmt, _, _ in rows)
    assert formats == {"mcap": 18, "rosbag1": 5, "rosbag2": 4, "ulog": 9, "lerobot": 1}
    again = ingest_folder(REAL, roboto_client=client)
    assert again.registered == () and len(again.unchanged) == len(report.registered)
    assert again.failed == report.failed  # SOURCES.md, still not a recording
