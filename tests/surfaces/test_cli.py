"""The ``sessions`` command, run end to end with typer's test runner on temporary catalogs.

Catalogs are built with the library; what the commands print with ``--json`` is compared with
what the ``Session`` API answers on the same catalog.
"""

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sessions_lib import (
    Client,
    Dataset,
    RecordedTopic,
    Session,
    register_dataset,
    register_device,
    register_file,
)
from sessions_lib.cli.shell import parse_timestamp_ns
from sessions_lib.model.timestamps import iso_ns

ORG = "org_local"
S = 1_000_000_000
T0 = 1_776_902_400 * S  # 2026-04-23T00:00:00Z
DATA = Path(__file__).resolve().parents[2] / "data"

# The caller is fixed here, whatever the developer's environment says.
runner = CliRunner(env={"SESSIONS_ORG_IDS": ORG, "SESSIONS_USER": "cli-tester", "SESSIONS_CATALOG": None})


def invoke(*args: object, **kwargs: object):
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def ok(*args: object, **kwargs: object) -> str:
    """Run a command that must succeed; its stdout."""
    result = invoke(*args, **kwargs)
    assert result.exit_code == 0, result.output
    return result.stdout


def ok_json(*args: object, **kwargs: object):
    return json.loads(ok(*args, "--json", **kwargs))


@dataclass(frozen=True)
class Fleet:
    """A small catalog: two devices, three files, three sessions (one empty)."""

    catalog: Path
    lead: str
    wing: str
    flight: str  # lead's file: /imu for 600 s, /camera for 60 s from 400 s
    wing_log: str  # wing's file: /imu 1000..1100 s
    gps_log: str  # lead's file: /gps 1000..1200 s
    first: str  # "flight-001": lead, flight narrowed to its first 100 s
    formation: str  # "formation-002": lead + wing, wing_log and gps_log
    bench: str  # "bench": no device, no files

    def client(self) -> Client:
        return Client(self.catalog, user="tester", org_ids=[ORG])


def build_fleet(catalog: Path) -> Fleet:
    client = Client(catalog, user="tester", org_ids=[ORG])
    lead = register_device("lead", device_id="dv_lead", roboto_client=client).device_id
    wing = register_device("wing", device_id="dv_wing", roboto_client=client).device_id
    dataset = register_dataset("field-test", roboto_client=client).dataset_id

    def recording(path: str, device_id: str, topics: dict[str, tuple[int, int]]) -> str:
        recorded = [RecordedTopic(name, spans=((T0 + a * S, T0 + b * S),)) for name, (a, b) in topics.items()]
        return register_file(dataset, path, recorded, device_id=device_id, roboto_client=client).file_id

    flight = recording("lead/flight.mcap", lead, {"/imu": (0, 600), "/camera": (400, 460)})
    wing_log = recording("wing/log.mcap", wing, {"/imu": (1000, 1100)})
    gps_log = recording("lead/gps.mcap", lead, {"/gps": (1000, 1200)})
    first = Session.create("flight-001", [lead], roboto_client=client, tags=["outdoor"])
    first.add_file(flight, T0, T0 + 100 * S)
    formation = Session.create("formation-002", [lead, wing], roboto_client=client, description="pair")
    formation.add_file(wing_log)
    formation.add_file(gps_log)
    bench = Session.create("bench", roboto_client=client)
    client.catalog.close()
    return Fleet(
        catalog,
        lead,
        wing,
        flight,
        wing_log,
        gps_log,
        first.session_id,
        formation.session_id,
        bench.session_id,
    )


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """The catalog the read-only tests share."""
    return build_fleet(tmp_path_factory.mktemp("fleet") / "catalog")


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """A catalog for the tests that change sessions (each works on sessions it creates)."""
    return build_fleet(tmp_path_factory.mktemp("writable") / "catalog")


@pytest.fixture
def api(fleet: Fleet) -> Iterator[Client]:
    client = fleet.client()
    yield client
    client.catalog.close()


def session_detail(session: Session) -> dict:
    """What the CLI should report about a session, read through the API."""
    return {
        "session_id": session.session_id,
        "name": session.name,
        "min_timestamp_ns": session.min_timestamp_ns,
        "max_timestamp_ns": session.max_timestamp_ns,
        "start": iso_ns(session.min_timestamp_ns),
        "end": iso_ns(session.max_timestamp_ns),
    }


# -- ingest and summary (the first commands) ------------------------------------------------


@pytest.mark.backends("sqlite", "postgres")
def test_ingest_then_re_ingest(tmp_path: Path, catalog_setting: str):
    folder = tmp_path / "recordings"
    folder.mkdir()
    pl.DataFrame({"t": [0, 1_000, 2_000]}).write_csv(folder / "log.csv")
    (folder / "junk.bin").write_bytes(b"\x00\x01")
    args = [
        "ingest",
        str(folder),
        "--catalog",
        catalog_setting,
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
    assert "0 registered, 1 unchanged, 1 failed" in again.output  # junk.bin still fails, not read again
    assert "junk.bin" in again.output
    verified = runner.invoke(app, [*args, "--verify", "--files-per-transaction", "1"])
    assert "1 registered, 0 unchanged, 1 failed" in verified.output  # no full hash was stored before
    assert "0 registered, 1 unchanged, 1 failed" in runner.invoke(app, [*args, "--verify"]).output
    refused = runner.invoke(app, [*args, "--files-per-transaction", "0"])
    assert refused.exit_code == 2


def test_bad_arguments_exit_non_zero_with_a_message(tmp_path: Path):
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--catalog", str(tmp_path / "cat")])
    assert missing.exit_code == 1 and "not a folder" in missing.output
    bad_unit = runner.invoke(
        app, ["ingest", str(tmp_path), "--catalog", str(tmp_path / "cat"), "--timestamp-unit", "h"]
    )
    assert bad_unit.exit_code == 1 and "timestamp_unit 'h'" in bad_unit.output
    # Errors go to stderr, not into what a script reads.
    assert bad_unit.stdout == "" and bad_unit.stderr.startswith("error: ")


def test_summary_of_an_empty_catalog(tmp_path: Path):
    empty = Client(tmp_path / "cat").catalog  # a catalog made by the library, with nothing in it
    empty.connection()
    empty.close()
    result = runner.invoke(app, ["summary", "--catalog", str(tmp_path / "cat")])
    assert result.exit_code == 0 and "0 session(s) in org" in result.output


def test_summary_lists_every_session(fleet: Fleet):
    out = ok("summary", "--catalog", fleet.catalog)
    assert "3 session(s) in org 'org_local'" in out
    assert all(name in out for name in ("flight-001", "formation-002", "bench"))


# -- reading: list, show, topics, files -----------------------------------------------------


def test_list_json_agrees_with_the_session_api(fleet: Fleet, api: Client):
    listed = {s["session_id"]: s for s in ok_json("list", "--catalog", fleet.catalog)}
    sessions = list(Session.for_org(roboto_client=api))
    assert set(listed) == {s.session_id for s in sessions}
    for session in sessions:
        row = listed[session.session_id]
        assert {k: row[k] for k in session_detail(session)} == session_detail(session)
        assert row["device_ids"] == sorted(session.list_devices())
        assert row["file_count"] == len(list(session.list_files()))
        assert row["topic_count"] == len(list(session.list_topics()))


def test_list_filters(fleet: Fleet):
    def ids(*args: object) -> set[str]:
        return {s["session_id"] for s in ok_json("list", "--catalog", fleet.catalog, *args)}

    assert ids("--device", fleet.wing) == {fleet.formation}
    assert ids("--device", fleet.lead) == {fleet.first, fleet.formation}
    assert ids("--name", "flight") == {fleet.first}
    # The same instant as ISO-8601 or as nanoseconds.
    late_iso, late_ns = "2026-04-23T00:10:00Z", T0 + 600 * S
    assert ids("--since", late_iso) == ids("--since", late_ns) == {fleet.formation}
    assert ids("--until", late_iso) == ids("--until", late_ns) == {fleet.first}


def test_list_refuses_an_unknown_device_and_a_reversed_window(fleet: Fleet):
    unknown = invoke("list", "--device", "dv_nope", "--catalog", fleet.catalog)
    assert unknown.exit_code == 1 and "dv_nope" in unknown.stderr and unknown.stdout == ""
    for command in (["list"], ["timeline", "out.png"]):
        reversed_window = invoke(*command, "--since", T0 + S, "--until", T0, "--catalog", fleet.catalog)
        assert reversed_window.exit_code == 2 and "is after --until" in reversed_window.stderr


def test_list_table(fleet: Fleet):
    out = ok("list", "--catalog", fleet.catalog)
    assert "3 session(s)" in out
    assert all(name in out for name in ("flight-001", "formation-002", "bench"))


def test_show_json_agrees_with_the_session_api(fleet: Fleet, api: Client):
    shown = ok_json("show", fleet.formation, "--catalog", fleet.catalog)
    session = Session.from_id(fleet.formation, roboto_client=api)
    assert {k: shown[k] for k in session_detail(session)} == session_detail(session)
    assert shown["description"] == "pair" and shown["origin"] == "api" and shown["org_id"] == ORG
    assert [d["device_id"] for d in shown["devices"]] == list(session.list_devices())
    assert [d["name"] for d in shown["devices"]] == ["lead", "wing"]
    assert [f["file_id"] for f in shown["files"]] == [f.file_id for f in session.list_files()]
    assert [(t["topic_id"], t["name"]) for t in shown["topics"]] == [
        (t.topic_id, t.name) for t in session.list_topics()
    ]


def test_topics_and_files_json_agree_with_the_session_api(fleet: Fleet, api: Client):
    topics, files = {}, {}
    for session_id in (fleet.first, fleet.formation, fleet.bench):
        session = Session.from_id(session_id, roboto_client=api)
        topics[session_id] = ok_json("topics", session_id, "--catalog", fleet.catalog)
        assert topics[session_id] == [{"topic_id": t.topic_id, "name": t.name} for t in session.list_topics()]
        files[session_id] = ok_json("files", session_id, "--catalog", fleet.catalog)
        assert [
            (f["file_id"], f["range_min_timestamp_ns"], f["range_max_timestamp_ns"])
            for f in files[session_id]
        ] == [(f.file_id, f.range_min_timestamp_ns, f.range_max_timestamp_ns) for f in session.list_files()]
    # The narrowed contribution: only /imu has data in its first 100 s; its window is the range.
    assert [t["name"] for t in topics[fleet.first]] == ["/imu"]
    (narrowed,) = files[fleet.first]
    assert narrowed["relative_path"] == "lead/flight.mcap"
    assert (narrowed["window_min_timestamp_ns"], narrowed["window_max_timestamp_ns"]) == (T0, T0 + 100 * S)
    assert (narrowed["window_start"], narrowed["window_end"]) == (
        "2026-04-23T00:00:00.000000000Z",
        "2026-04-23T00:01:40.000000000Z",
    )


def test_tables_for_people(fleet: Fleet):
    shown = ok("show", fleet.first, "--catalog", fleet.catalog)
    assert all(text in shown for text in ("flight-001", "outdoor", "lead/flight.mcap", "/imu", "dv_lead"))
    assert "1 topic(s)" in ok("topics", fleet.first, "--catalog", fleet.catalog)
    assert "2 file(s)" in ok("files", fleet.formation, "--catalog", fleet.catalog)


# -- relative time: unanchored sessions and files ------------------------------------------------


@dataclass(frozen=True)
class Clocks:
    """A catalog with a wall-clock session and an unanchored one (a boot clock: 191 s to 251 s)."""

    catalog: Path
    wall: str
    boot: str
    boot_file: str
    wall_file: str


@pytest.fixture(scope="module")
def clocks(tmp_path_factory: pytest.TempPathFactory) -> Clocks:
    catalog = tmp_path_factory.mktemp("clocks") / "catalog"
    client = Client(catalog, user="tester", org_ids=[ORG])
    dataset = Dataset.create("bench", roboto_client=client)
    wall_file = dataset.register_file("wall.mcap", [RecordedTopic("/imu", spans=((T0, T0 + 60 * S),))])
    boot_file = dataset.register_file(
        "boot.ulg", [RecordedTopic("/imu", spans=((191 * S, 251 * S),))], anchored=False
    )
    wall = Session.create("wall-run", roboto_client=client).add_file(wall_file.file_id)
    boot = Session.create("boot-run", roboto_client=client).add_file(boot_file.file_id)
    client.catalog.close()
    return Clocks(catalog, wall.session_id, boot.session_id, boot_file.file_id, wall_file.file_id)


def test_unanchored_sessions_show_relative_time_in_json(clocks: Clocks):
    listed = {s["session_id"]: s for s in ok_json("list", "--catalog", clocks.catalog)}
    boot, wall = listed[clocks.boot], listed[clocks.wall]
    assert (boot["anchored"], wall["anchored"]) == (False, True)
    assert (boot["min_timestamp_ns"], boot["max_timestamp_ns"]) == (191 * S, 251 * S)  # as stored
    assert (boot["start"], boot["end"]) == ("t+00:03:11.000000000", "t+00:04:11.000000000")
    assert (wall["start"], wall["end"]) == (
        "2026-04-23T00:00:00.000000000Z",
        "2026-04-23T00:01:00.000000000Z",
    )
    shown = ok_json("show", clocks.boot, "--catalog", clocks.catalog)
    assert (shown["anchored"], shown["start"], shown["end"]) == (False, boot["start"], boot["end"])
    assert ok_json("show", clocks.wall, "--catalog", clocks.catalog)["anchored"] is True
    (held,) = ok_json("files", clocks.boot, "--catalog", clocks.catalog)
    assert (held["file_id"], held["anchored"]) == (clocks.boot_file, False)
    assert (held["window_start"], held["window_end"]) == (boot["start"], boot["end"])


def test_unanchored_sessions_show_relative_time_for_people(clocks: Clocks):
    for args in (["list"], ["show", clocks.boot], ["files", clocks.boot], ["summary"]):
        out = ok(*args, "--catalog", clocks.catalog)
        assert "t+00:03:11.000" in out and "t+00:04:11.000" in out, args
        assert "1970" not in out, args
    assert "2026-04-23T00:00:00.000Z" in ok("summary", "--catalog", clocks.catalog)


def test_changing_an_unanchored_session_prints_relative_bounds(clocks: Clocks):
    catalog = clocks.catalog
    session_id = ok("create", "by-hand", "--catalog", catalog).strip()
    added = ok_json(
        "add", session_id, clocks.boot_file, "--min", 200 * S, "--max", 210 * S, "--catalog", catalog
    )
    assert added == {
        "session_id": session_id,
        "anchored": False,
        "min_timestamp_ns": 200 * S,
        "max_timestamp_ns": 210 * S,
        "start": "t+00:03:20.000000000",
        "end": "t+00:03:30.000000000",
    }
    out = ok("remove", session_id, clocks.wall_file, "--catalog", catalog)  # not held: nothing changes
    assert "t+00:03:20.000 .. t+00:03:30.000" in out


# -- sql --------------------------------------------------------------------------------------


def test_sql_from_an_argument_or_stdin(fleet: Fleet, api: Client):
    query = "SELECT session_id, min_timestamp_ns, max_timestamp_ns FROM session_bounds ORDER BY session_id"
    from_argument = ok_json("sql", query, "--catalog", fleet.catalog)
    from_stdin = ok_json("sql", "--catalog", fleet.catalog, input=query)
    expected = sorted(
        (s.session_id, s.min_timestamp_ns, s.max_timestamp_ns)
        for s in Session.for_org(roboto_client=api)
        if s.min_timestamp_ns is not None
    )
    assert from_argument == from_stdin
    assert [(r["session_id"], r["min_timestamp_ns"], r["max_timestamp_ns"]) for r in from_stdin] == expected
    table = ok("sql", "SELECT device_name FROM device_sessions ORDER BY 1", "--catalog", fleet.catalog)
    assert "3 row(s)" in table and "wing" in table


def test_sql_errors_are_one_clean_line(fleet: Fleet):
    bad = invoke("sql", "SELEC 1", "--catalog", fleet.catalog)
    assert bad.exit_code == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: SQL: Parser Error") and bad.stderr.count("\n") == 1
    write = invoke("sql", "DELETE FROM sessions", "--catalog", fleet.catalog)
    assert write.exit_code == 1 and "read-only" in write.stderr
    raw = invoke("sql", "SELECT * FROM lake.sessions", "--catalog", fleet.catalog)
    assert raw.exit_code == 1 and "reads only the views" in raw.stderr
    assert len(ok_json("sql", "SELECT * FROM sessions", "--catalog", fleet.catalog)) == 3
    empty = invoke("sql", "--catalog", fleet.catalog, input="")
    assert empty.exit_code == 2 and "empty" in empty.output


# -- changing sessions by hand --------------------------------------------------------------


def test_create_add_remove(writable: Fleet):
    fleet, catalog = writable, writable.catalog
    created = ok_json(
        "create",
        "by-hand",
        "--device",
        fleet.lead,
        "--device",
        fleet.wing,
        "--tag",
        "a",
        "--tag",
        "b",
        "--description",
        "made in a shell",
        "--catalog",
        catalog,
    )
    session_id = created["session_id"]
    assert created["device_ids"] == [fleet.lead, fleet.wing] and created["tags"] == ["a", "b"]
    assert created["created_by"] == "cli-tester" and created["min_timestamp_ns"] is None
    assert created["description"] == "made in a shell"
    plain_id = ok("create", "plain", "--catalog", catalog).strip()
    client = Client(catalog, org_ids=[ORG])
    try:
        session = Session.from_id(session_id, roboto_client=client)
        assert created == {**created, **session_detail(session)}
        assert list(session.list_devices()) == [fleet.lead, fleet.wing]
        assert Session.from_id(plain_id, roboto_client=client).name == "plain"
    finally:
        client.catalog.close()


def test_add_and_remove_print_the_new_bounds(writable: Fleet):
    fleet, catalog = writable, writable.catalog
    session_id = ok("create", "by-hand", "--catalog", catalog).strip()
    added = ok_json(
        "add",
        session_id,
        fleet.flight,
        "--min",
        T0 + 10 * S,
        "--max",
        "2026-04-23T00:00:20Z",
        "--catalog",
        catalog,
    )
    assert (added["min_timestamp_ns"], added["max_timestamp_ns"]) == (T0 + 10 * S, T0 + 20 * S)
    ok("add", session_id, fleet.gps_log, "--catalog", catalog)
    client = Client(catalog, org_ids=[ORG])
    try:
        session = Session.from_id(session_id, roboto_client=client)
        assert (session.min_timestamp_ns, session.max_timestamp_ns) == (T0 + 10 * S, T0 + 1200 * S)
        assert [t.name for t in session.list_topics()] == ["/gps", "/imu"]
        out = ok("remove", session_id, fleet.gps_log, "--catalog", catalog)
        assert "2026-04-23T00:00:10.000Z .. 2026-04-23T00:00:20.000Z" in out
        removed = ok_json("remove", session_id, fleet.flight, fleet.gps_log, "--catalog", catalog)
        assert removed == {
            "session_id": session_id,
            "anchored": True,
            **dict.fromkeys(["min_timestamp_ns", "max_timestamp_ns", "start", "end"]),
        }
        assert list(Session.from_id(session_id, roboto_client=client).list_files()) == []
    finally:
        client.catalog.close()
    one_sided = invoke("add", session_id, fleet.flight, "--min", T0, "--catalog", catalog)
    assert one_sided.exit_code == 1 and "must be given together" in one_sided.stderr


# -- errors ----------------------------------------------------------------------------------


def test_unknown_session_exits_1_naming_it(fleet: Fleet):
    for command in (
        ["show", "se_nope"],
        ["topics", "se_nope"],
        ["files", "se_nope"],
        ["add", "se_nope", fleet.flight],
        ["remove", "se_nope", fleet.flight],
    ):
        result = invoke(*command, "--catalog", fleet.catalog)
        assert result.exit_code == 1, (command, result.output)
        assert result.stderr == "error: session 'se_nope' not found in org 'org_local'\n"
        assert result.stdout == ""
    unknown_file = invoke("add", fleet.first, "fl_nope", "--catalog", fleet.catalog)
    assert unknown_file.exit_code == 1 and "fl_nope" in unknown_file.stderr
    unknown_device = invoke("create", "x", "--device", "dv_nope", "--catalog", fleet.catalog)
    assert unknown_device.exit_code == 1 and "dv_nope" in unknown_device.stderr


def test_a_missing_catalog_is_refused_not_created(tmp_path: Path):
    missing = tmp_path / "typo"
    for command in (
        ["summary"],
        ["list"],
        ["show", "se_x"],
        ["topics", "se_x"],
        ["files", "se_x"],
        ["sql", "SELECT 1"],
        ["create", "x"],
        ["add", "se_x", "fl_x"],
        ["remove", "se_x", "fl_x"],
        ["timeline", tmp_path / "t.png"],
    ):
        result = invoke(*command, "--catalog", missing)
        assert result.exit_code == 1, (command, result.output)
        assert f"no catalog in {missing}" in result.stderr
    assert not missing.exists()


def test_bad_arguments_are_usage_errors(fleet: Fleet, tmp_path: Path):
    for args in (
        ["list", "--since", "yesterday"],
        ["list", "--until", "2026-13-01"],
        ["list", "--colour"],
        ["show"],
        ["add", fleet.first],
        ["add", fleet.first, fleet.flight, "--min", "ten"],
        ["remove", fleet.first],
        ["create"],
        ["timeline", tmp_path / "t.png", "--width", "10"],
        ["run", tmp_path / "no-such-folder"],
        ["no-such-command"],
    ):
        result = invoke(*args, "--catalog", fleet.catalog)
        assert result.exit_code == 2, (args, result.output)
        assert "Usage:" in result.output


def test_orgs(fleet: Fleet):
    two_orgs = {"SESSIONS_ORG_IDS": "org_local,org_b"}
    ambiguous = invoke("list", "--catalog", fleet.catalog, env=two_orgs)
    assert ambiguous.exit_code == 1 and "belongs to several orgs" in ambiguous.stderr
    assert len(ok_json("list", "--org", ORG, "--catalog", fleet.catalog, env=two_orgs)) == 3
    assert ok_json("list", "--org", "org_b", "--catalog", fleet.catalog, env=two_orgs) == []
    elsewhere = invoke("show", fleet.first, "--org", "org_b", "--catalog", fleet.catalog, env=two_orgs)
    assert elsewhere.exit_code == 1 and "not found in org 'org_b'" in elsewhere.stderr
    not_member = invoke("list", "--org", "org_c", "--catalog", fleet.catalog)
    assert not_member.exit_code == 1 and "not a member of org 'org_c'" in not_member.stderr


def test_time_arguments():
    assert parse_timestamp_ns("1776902400000000000") == T0
    assert parse_timestamp_ns("2026-04-23T00:00:00Z") == T0
    assert parse_timestamp_ns("2026-04-23T00:00:00") == T0  # UTC unless it says otherwise
    assert parse_timestamp_ns("2026-04-23T02:00:00.000001+02:00") == T0 + 1_000
    assert iso_ns(T0 + 1) == "2026-04-23T00:00:00.000000001Z"
    assert iso_ns(None) is None


# -- the picture and the pipeline -----------------------------------------------------------


def test_timeline_writes_a_png(fleet: Fleet, tmp_path: Path):
    out = tmp_path / "fleet.png"
    printed = ok("timeline", out, "--width", 800, "--device", fleet.lead, "--catalog", fleet.catalog).strip()
    png = out.read_bytes()
    assert Path(printed) == out and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 800  # the IHDR width
    one = tmp_path / "one.png"
    ok(
        "timeline",
        one,
        "--session",
        fleet.first,
        "--since",
        T0,
        "--until",
        "2026-04-23T01:00:00Z",
        "--catalog",
        fleet.catalog,
    )
    assert one.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    unknown = invoke("timeline", tmp_path / "x.png", "--session", "se_nope", "--catalog", fleet.catalog)
    assert unknown.exit_code == 1 and "se_nope" in unknown.stderr


@pytest.mark.slow
@pytest.mark.backends("sqlite", "postgres")
def test_run_the_pipeline_on_a_copy_of_data(tmp_path: Path, catalog_setting: str):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    catalog = catalog_setting
    out = ok("run", data, "--catalog", catalog)
    assert "checks:" in out and "FAILED" not in out
    listed = ok_json("list", "--catalog", catalog)
    client = Client(catalog, org_ids=[ORG])
    try:
        assert {s["session_id"] for s in listed} == {
            s.session_id for s in Session.for_org(roboto_client=client)
        }
    finally:
        client.catalog.close()
    assert listed


def test_run_refuses_unreadable_device_metadata(tmp_path: Path):
    (tmp_path / "devices.yaml").write_text("devices: [\n")
    result = invoke("run", tmp_path, "--catalog", tmp_path / "catalog")
    assert (
        result.exit_code == 1
        and "devices.yaml:2:" in result.stderr
        and "cannot read device metadata" in result.stderr
    )
    assert not (tmp_path / "catalog").exists()
