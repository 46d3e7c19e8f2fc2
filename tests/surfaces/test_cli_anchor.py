"""``sessions anchor``: a file whose clock is not Unix time anchored from the command line."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sessions_lib import Client, File, RecordedTopic, Session, register_dataset, register_file
from sessions_lib.model.timestamps import iso_ns

S = 1_000_000_000
T0 = 1_776_902_400 * S  # 2026-04-23T00:00:00Z
runner = CliRunner()


@pytest.fixture
def boot_log(tmp_path: Path) -> tuple[Path, str, str]:
    """A catalog holding one boot-relative log (5 s .. 100 s after boot) in a session."""
    catalog = tmp_path / "catalog"
    client = Client(catalog, user="tester", org_ids=["org_local"])
    dataset = register_dataset("bench", roboto_client=client).dataset_id
    topics = [RecordedTopic("/imu", ((5 * S, 100 * S),)), RecordedTopic("/gps", ((10 * S, 90 * S),))]
    log = register_file(dataset, "log_3.ulg", topics, anchored=False, roboto_client=client)
    session = Session.create("bench", roboto_client=client)
    session.add_file(log.file_id)
    client.catalog.close()
    return catalog, log.file_id, session.session_id


def anchor(catalog: Path, *args: object):
    return runner.invoke(app, ["anchor", *map(str, args), "--catalog", str(catalog)])


def test_a_known_start_time_anchors_the_file_and_its_sessions(boot_log):
    catalog, file_id, session_id = boot_log
    result = anchor(catalog, file_id, "--start", "2026-04-23T00:00:00Z", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "file_id": file_id,
        "anchored": True,
        "timeline_offset_ns": T0 - 5 * S,
        "window_min_timestamp_ns": T0,
        "window_max_timestamp_ns": T0 + 95 * S,
        "window_start": iso_ns(T0),
        "window_end": iso_ns(T0 + 95 * S),
    }
    client = Client(catalog, org_ids=["org_local"])
    session = Session.from_id(session_id, roboto_client=client)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (T0, T0 + 95 * S)

    text = anchor(catalog, file_id, "--offset", T0, "--topic", "/gps")
    assert text.exit_code == 0, text.output
    assert "log_3.ulg" in text.stdout and "2026-04-23T00:00:00.000Z" in text.stdout
    gps = {t.name: t.wall_spans for t in File.from_id(file_id, roboto_client=client).list_topics()}["/gps"]
    assert gps == ((T0 - 5 * S + T0 + 10 * S, T0 - 5 * S + T0 + 90 * S),)


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        ((), 2, "give one of --offset and --start"),
        (("--offset", 0, "--start", T0), 2, "give one of --offset and --start"),
        (("--start", T0, "--topic", "/gps"), 2, "--topic goes with --offset only"),
        (("--offset", "yesterday"), 2, "neither an ISO-8601 time nor integer nanoseconds"),
        (("--offset", T0, "--topic", "/nope"), 1, "topic '/nope' not found"),
    ],
)
def test_bad_anchors_exit_non_zero_naming_the_problem(boot_log, args, exit_code, message):
    catalog, file_id, _ = boot_log
    result = anchor(catalog, file_id, *args)
    assert result.exit_code == exit_code
    assert message in " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())  # rich's box, unwrapped


def test_an_unknown_file_exits_1(boot_log):
    result = anchor(boot_log[0], "fl_nope", "--offset", T0)
    assert result.exit_code == 1 and "file 'fl_nope' not found" in result.output
