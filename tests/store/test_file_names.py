"""Ingesting files of any name: a name that is not UTF-8, or holds a newline or control characters,
neither stops the run nor loses a file.

The oracle for what such a file holds is the same bytes under a plain name, read in the same run;
the oracle for its name is the bytes the file system gave it (``os.fsencode``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlparse

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sessions_lib import Client, File
from sessions_lib.errors import InvalidRequestError
from sessions_lib.ingest import ESCAPED_NAME_NOTE, NAME_CLASH, ingest_folder

pytestmark = [
    pytest.mark.fresh_catalog,  # rows() reads the files of every org
    pytest.mark.skipif(
        sys.platform == "win32" or sys.getfilesystemencoding() != "utf-8",
        reason="names of arbitrary bytes need a POSIX file system with UTF-8 names",
    ),
]

FLIGHT = Path(__file__).resolve().parents[2] / "data" / "fleet" / "falcon" / "2026-04-20_0900_a.mcap"
CSV = b"timestamp\n1776902400000000000\n1776902401000000000\n"

# name on disk (bytes) -> the relative path the catalog stores
GOOD = {b"good.mcap": "good.mcap", b"good.csv": "good.csv"}
ODD = {
    b"bad\xff.mcap": "bad\\xff.mcap",
    b"new\nline.mcap": "new\nline.mcap",
    b"tab\tbell\x07esc\x1b[31m.mcap": "tab\tbell\x07esc\x1b[31m.mcap",
    b"caf\xe9/latin-1 folder.mcap": "caf\\xe9/latin-1 folder.mcap",
    b"stem\xfe.csv": "stem\\xfe.csv",
}
BROKEN = {b"broken\xfe\n.parquet": "broken\\xfe\n.parquet"}


def write(folder: Path, name: bytes, content: bytes) -> None:
    path = os.path.join(os.fsencode(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(content)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "odd-names"
    for name, _ in [*GOOD.items(), *ODD.items()]:
        write(root, name, CSV if name.endswith(b".csv") else FLIGHT.read_bytes())
    write(root, next(iter(BROKEN)), b"PAR1 cut off")
    return root


def rows(client: Client) -> dict[str, File]:
    found = client.catalog.transaction(lambda tx: tx.rows("SELECT file_id, relative_path FROM files"))
    return {path: File.from_id(file_id, roboto_client=client) for file_id, path in found}


def spans(file: File) -> list[tuple[str, object, int | None]]:
    return [(t.name, t.wall_spans, t.message_count) for t in file.list_topics()]


def test_every_name_is_registered_and_its_file_opens_from_the_stored_uri(client: Client, folder: Path):
    report = ingest_folder(folder, roboto_client=client)
    stored = {**GOOD, **ODD}
    assert sorted(report.registered) == sorted(stored.values())
    assert [path for path, _ in report.failed] == list(BROKEN.values())
    assert "broken\\xfe\n.parquet: not a complete Parquet file" in report.failed[0][1]
    files = rows(client)
    assert set(files) == {*stored.values(), *BROKEN.values()}
    for name, relative in stored.items():
        file = files[relative]
        oracle = files["good.csv" if name.endswith(b".csv") else "good.mcap"]
        if name.endswith(b".mcap"):
            assert spans(file) == spans(oracle), relative
        else:  # a table's topic is named after its file's stem
            assert [s for _, *s in spans(file)] == [s for _, *s in spans(oracle)], relative
        assert file.record.anchored and file.ingest_status == "ingested"
        on_disk = unquote_to_bytes(urlparse(file.uri).path)
        assert on_disk == os.path.join(os.fsencode(folder), name)
        assert Path(os.fsdecode(on_disk)).read_bytes() == (folder / os.fsdecode(name)).read_bytes()
        assert (ESCAPED_NAME_NOTE in file.record.notes) == (relative != os.fsdecode(name)), relative
    assert [t.name for t in files["stem\\xfe.csv"].list_topics()] == ["stem\\xfe"]

    again = ingest_folder(folder, roboto_client=client)
    assert (again.registered, sorted(again.unchanged)) == ((), sorted(stored.values()))
    assert [path for path, _ in again.failed] == list(BROKEN.values())


def test_a_name_that_escapes_to_another_files_name_is_reported_not_registered(client: Client, tmp_path: Path):
    root = tmp_path / "clash"
    write(root, b"bad\xff.mcap", FLIGHT.read_bytes())
    write(root, b"bad\\xff.mcap", FLIGHT.read_bytes())  # a real backslash, x, f, f
    write(root, b"good.mcap", FLIGHT.read_bytes())
    report = ingest_folder(root, roboto_client=client)
    assert report.registered == ("bad\\xff.mcap", "good.mcap")
    ((path, error),) = report.failed
    assert path == "bad\\xff.mcap" and NAME_CLASH in error
    # the paths are read in sorted order: the real backslash (0x5c) before the undecodable byte
    undecodable = os.path.join(os.fsencode(root), b"bad\xff.mcap")
    assert error == f"{undecodable!r}: {NAME_CLASH}"
    assert set(rows(client)) == {"bad\\xff.mcap", "good.mcap"}


def test_a_dataset_folder_that_is_not_utf8_is_refused_naming_it(client: Client, tmp_path: Path):
    root = os.path.join(os.fsencode(tmp_path), b"fleet\xff")
    os.makedirs(root)
    with pytest.raises(InvalidRequestError, match=r"fleet\\\\xff.* is not valid UTF-8"):
        ingest_folder(Path(os.fsdecode(root)), roboto_client=client)
    assert rows(client) == {}


def test_the_cli_ingests_every_name_and_prints_one_line_per_failure(folder: Path, catalog_setting: str):
    runner = CliRunner(
        env={"SESSIONS_ORG_IDS": "org_a", "SESSIONS_USER": "cli-tester", "SESSIONS_CATALOG": None}
    )
    args = ["ingest", str(folder), "--catalog", catalog_setting]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    registered = len(GOOD) + len(ODD)
    assert f"{registered} registered, 0 unchanged, 1 failed" in first.output
    failure = [line for line in first.output.splitlines() if line.startswith("  failed ")]
    assert failure == [
        f"  failed broken\\xfe\\n.parquet: {folder / 'broken'}\\xfe\\n.parquet: not a complete "
        + "Parquet file (12 bytes, no PAR1 footer at its end): truncated or still being written"
    ]
    assert "\x1b" not in first.output and "\x07" not in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert f"0 registered, {registered} unchanged, 1 failed" in again.output
