"""The ``sessions`` command, run end to end with typer's test runner on a temporary catalog."""

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from sessions_lib.cli import app

runner = CliRunner()


def test_ingest_then_re_ingest(tmp_path: Path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    pl.DataFrame({"t": [0, 1_000, 2_000]}).write_csv(folder / "log.csv")
    (folder / "junk.bin").write_bytes(b"\x00\x01")
    args = [
        "ingest",
        str(folder),
        "--catalog",
        str(tmp_path / "cat"),
        "--timestamp-column",
        "t",
        "--timestamp-unit",
        "ms",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "1 registered, 0 unchanged, 1 failed" in first.output
    assert "junk.bin" in first.output and "unknown format" in first.output
    again = runner.invoke(app, args)
    assert "0 registered, 2 unchanged, 0 failed" in again.output


def test_bad_arguments_exit_non_zero_with_a_message(tmp_path: Path):
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--catalog", str(tmp_path / "cat")])
    assert missing.exit_code == 1 and "not a folder" in missing.output
    bad_unit = runner.invoke(
        app, ["ingest", str(tmp_path), "--catalog", str(tmp_path / "cat"), "--timestamp-unit", "h"]
    )
    assert bad_unit.exit_code == 1 and "timestamp_unit 'h'" in bad_unit.output


def test_summary_of_an_empty_catalog(tmp_path: Path):
    result = runner.invoke(app, ["summary", "--catalog", str(tmp_path / "cat")])
    assert result.exit_code == 0 and "0 session(s) in org" in result.output
