"""The notebook frames answer exactly as the Session API does, filter like a plain Python filter of
the same rows, and see only the caller's org."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_lib import (
    Client,
    Dataset,
    Device,
    File,
    NotFoundError,
    RecordedTopic,
    Session,
    SessionFile,
    register_dataset,
    register_file,
)
from sessions_lib.surfaces.frames import (
    OrgFrames,
    contributions_frame,
    devices_frame,
    session_extents_frame,
    session_files_frame,
    session_topics_frame,
    sessions_frame,
    topic_extents_frame,
)
from sessions_lib.surfaces.sql import connect
from tests.conftest import EPOCH_2026_NS, SECOND_NS, Recordings

spans = st.tuples(st.integers(0, 100), st.integers(0, 30)).map(lambda s: (s[0], s[0] + s[1]))
files_strategy = st.lists(
    st.tuples(
        st.dictionaries(
            st.sampled_from(["/a", "/b", "/c", "/d"]), st.lists(spans, min_size=1, max_size=2), max_size=3
        ),
        st.sampled_from([0, 1000]),  # unix_epoch_offset_ns: stored vs wall clock must not be mixed up
    ),
    min_size=1,
    max_size=4,
)
ranges = st.none() | st.tuples(st.integers(-10, 1140), st.integers(0, 50)).map(lambda r: (r[0], r[0] + r[1]))
sessions_strategy = st.lists(
    st.tuples(st.lists(st.tuples(st.integers(0, 3), ranges), max_size=3), st.sets(st.integers(0, 1))),
    max_size=3,
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Client:
    client = Client(tmp_path_factory.mktemp("frames") / "catalog", org_ids=["org_seed"])
    yield client
    client.catalog.close()


def fresh_org(shared: Client) -> Client:
    """A caller of an org of its own on the shared catalog: one catalog, many independent examples."""
    return shared.as_caller(org_ids=[f"org_{uuid.uuid4().hex[:10]}"])


def utc(ns: int | None) -> datetime | None:
    return (
        None
        if ns is None
        else datetime.fromtimestamp(ns // SECOND_NS, UTC).replace(microsecond=(ns % SECOND_NS) // 1000)
    )


CONTRIBUTION = ("file_id", "range_min_timestamp_ns", "range_max_timestamp_ns")


@pytest.mark.slow  # hypothesis: 8 random catalogs, each written and read back
@settings(max_examples=8, deadline=None)
@given(files=files_strategy, picks=sessions_strategy)
def test_frames_agree_with_the_session_api_on_random_catalogs(shared: Client, files, picks):
    client = fresh_org(shared)
    dataset = register_dataset("d", roboto_client=client).dataset_id
    devices = [Device.create(f"dev{i}", roboto_client=client).device_id for i in range(2)]
    file_ids = [
        register_file(
            dataset,
            f"f{i}",
            [RecordedTopic(n, tuple(s), unix_epoch_offset_ns=offset) for n, s in topics.items()],
            roboto_client=client,
        ).file_id
        for i, (topics, offset) in enumerate(files)
    ]
    sessions = []
    for chosen, attached in picks:
        contributions = {file_ids[i % len(file_ids)]: rng for i, rng in chosen}
        session = Session.create(device_ids=[devices[i] for i in sorted(attached)], roboto_client=client)
        if contributions:
            session.add_files([SessionFile(f, *(r or (None, None))) for f, r in contributions.items()])
        sessions.append(Session.from_id(session.session_id, roboto_client=client))

    rows = {
        row["session_id"]: row for row in sessions_frame(roboto_client=client).collect().iter_rows(named=True)
    }
    assert set(rows) == {s.session_id for s in sessions}
    # The rest over one connection (OrgFrames, what the functions above are made of): cheaper.
    frames = OrgFrames(roboto_client=client)
    every_contribution = frames.contributions().collect()
    for session in sessions:
        row = rows[session.session_id]
        topics = list(session.list_topics())
        files_ = list(session.list_files())
        assert (row["min_timestamp_ns"], row["max_timestamp_ns"]) == (
            session.min_timestamp_ns,
            session.max_timestamp_ns,
        )
        assert (row["start"], row["end"]) == (utc(session.min_timestamp_ns), utc(session.max_timestamp_ns))
        assert row["topic_count"] == len(topics)
        assert row["file_count"] == len(files_)
        assert row["device_ids"] == list(session.list_devices())

        topic_frame = session_topics_frame(session.session_id, roboto_client=client)
        assert topic_frame.rows() == [(t.topic_id, t.name) for t in topics]
        held = every_contribution.filter(pl.col("session_id") == session.session_id)
        assert [SessionFile(*r) for r in held.select(*CONTRIBUTION).rows()] == files_

        # Per extent, in_window is the list_topics rule: a topic is listed iff one of its extents is in.
        extents = frames.session_extents(session.session_id).collect()
        in_window = extents.filter(pl.col("in_window")).select("topic_id", "topic_name").unique()
        assert sorted(in_window.rows(), key=lambda r: (r[1], r[0])) == [(t.topic_id, t.name) for t in topics]
        assert (extents["min_wall_ns"] == extents["min_timestamp"] + extents["unix_epoch_offset_ns"]).all()
    frames.close()


# -- a fixed catalog for filters and shapes ---------------------------------------------------------


@pytest.fixture(scope="module")
def client(shared: Client) -> Client:
    """The org of the fixed catalog below; tests only read it (writes go to other orgs)."""
    return shared.as_caller(org_ids=["org_fleet"])


@pytest.fixture(scope="module")
def fleet(client: Client) -> dict[str, object]:
    """Three devices, six sessions (one without contributions, one unattached), a ranged contribution."""
    t0, recordings = EPOCH_2026_NS, Recordings(client)
    devices = {name: Device.create(name, roboto_client=client) for name in ("falcon", "hawk", "rover")}
    made: dict[str, Session] = {}
    plan = [
        ("Flight-001", ["falcon"], 0, 600),
        ("flight-002", ["falcon", "hawk"], 3_600, 4_200),
        ("drive-001", ["rover"], 300, 2_000),
        ("HAWK-solo", ["hawk"], 7_200, 7_300),
        ("loose", [], 10_000, 10_010),
    ]
    for name, owners, start_s, end_s in plan:
        file = recordings.file({"/imu": [(t0 + start_s * SECOND_NS, t0 + end_s * SECOND_NS)]})
        session = Session.create(
            name=name, device_ids=[devices[o].device_id for o in owners], roboto_client=client
        )
        made[name] = session.add_file(file.file_id)
    camera = recordings.file(
        {
            "/camera": [(t0, t0 + 10 * SECOND_NS), (t0 + 500 * SECOND_NS, t0 + 510 * SECOND_NS)],
            "/imu": [(t0, t0)],
        }
    )
    made["Flight-001"].add_file(camera.file_id, t0 + 400 * SECOND_NS, t0 + 600 * SECOND_NS)
    made["empty"] = Session.create(
        name="empty", device_ids=[devices["rover"].device_id], roboto_client=client
    )
    rows = sessions_frame(roboto_client=client).collect().rows(named=True)
    return {"t0": t0, "devices": devices, "sessions": made, "camera": camera.file_id, "rows": rows}


def test_sessions_frame_columns_and_order(client: Client, fleet):
    frame = sessions_frame(roboto_client=client)
    assert isinstance(frame, pl.LazyFrame)
    rows = frame.collect()
    assert rows.columns == [
        "session_id", "name", "origin", "min_timestamp_ns", "max_timestamp_ns",
        "device_ids", "file_count", "topic_count", "anchored", "start", "end",
    ]  # fmt: skip
    assert rows.schema["start"] == pl.Datetime("ns", "UTC")
    assert rows["name"].to_list() == ["Flight-001", "drive-001", "flight-002", "HAWK-solo", "loose", "empty"]
    flight = rows.row(0, named=True)
    assert (flight["file_count"], flight["topic_count"]) == (2, 2)
    assert flight["start"] == datetime(2026, 1, 1, tzinfo=UTC)
    empty = rows.row(5, named=True)
    assert (empty["min_timestamp_ns"], empty["file_count"], empty["topic_count"]) == (None, 0, 0)


@settings(max_examples=10, deadline=None)
@given(
    device=st.sampled_from([None, "falcon", "hawk", "rover", "nobody"]),
    name=st.sampled_from([None, "flight", "FLIGHT-00", "hawk", "x", ""]),
    start_s=st.none() | st.sampled_from([-1, 0, 600, 601, 4_200, 9_000]),
    end_s=st.none() | st.sampled_from([-1, 0, 299, 300, 3_600, 20_000]),
)
def test_filters_match_a_brute_force_filter(client: Client, fleet, device, name, start_s, end_s):
    t0 = fleet["t0"]
    device_id = fleet["devices"][device].device_id if device in fleet["devices"] else device
    start_ns = None if start_s is None else t0 + start_s * SECOND_NS
    end_ns = None if end_s is None else t0 + end_s * SECOND_NS
    everything = fleet["rows"]

    def wanted(row: dict) -> bool:
        lo, hi = row["min_timestamp_ns"], row["max_timestamp_ns"]
        return (
            (device_id is None or device_id in row["device_ids"])
            and (name is None or (row["name"] is not None and name.lower() in row["name"].lower()))
            and (start_ns is None or (hi is not None and hi >= start_ns))
            and (end_ns is None or (lo is not None and lo <= end_ns))
        )

    filtered = sessions_frame(
        device_id=device_id, name_contains=name, start_ns=start_ns, end_ns=end_ns, roboto_client=client
    ).collect()
    assert filtered.rows(named=True) == [row for row in everything if wanted(row)]


def test_session_files_frame_is_the_contributions_with_windows(client: Client, fleet):
    t0, flight = fleet["t0"], fleet["sessions"]["Flight-001"]
    frame = session_files_frame(flight.session_id, roboto_client=client)
    assert isinstance(frame, pl.DataFrame)
    assert frame["file_id"].to_list() == [f.file_id for f in flight.list_files()]
    ranged = frame.filter(pl.col("file_id") == fleet["camera"]).row(0, named=True)
    assert (ranged["window_min_ns"], ranged["window_max_ns"]) == (t0 + 400 * SECOND_NS, t0 + 600 * SECOND_NS)
    assert ranged["start"] == utc(t0 + 400 * SECOND_NS)
    whole = frame.filter(pl.col("file_id") != fleet["camera"]).row(0, named=True)
    assert whole["range_min_timestamp_ns"] is None
    assert (whole["window_min_ns"], whole["window_max_ns"]) == (t0, t0 + 600 * SECOND_NS)
    everyone = contributions_frame(roboto_client=client).collect()
    assert everyone.height == 6
    assert everyone.filter(pl.col("session_id") == flight.session_id).equals(frame)


def test_topic_extents_frame_marks_the_extents_in_the_window(client: Client, fleet):
    t0, flight = fleet["t0"], fleet["sessions"]["Flight-001"]
    camera = topic_extents_frame(flight.session_id, "/camera", roboto_client=client)
    assert isinstance(camera, pl.LazyFrame)
    rows = camera.collect()
    assert rows.select("min_wall_ns", "in_window").rows() == [(t0, False), (t0 + 500 * SECOND_NS, True)]
    assert set(rows["relative_path"]) == {rows["relative_path"][0]}
    assert rows["timeline_source"].to_list() == ["log_time", "log_time"]
    # /imu has extents on both files; the camera file's one instant (t0) is outside its window.
    imu = topic_extents_frame(flight.session_id, "/imu", roboto_client=client).collect()
    assert sorted(imu["in_window"].to_list()) == [False, True]
    # A topic of the org that this session's files do not carry: no rows, not an error.
    drive = fleet["sessions"]["drive-001"]
    assert topic_extents_frame(drive.session_id, "/camera", roboto_client=client).collect().is_empty()
    with pytest.raises(NotFoundError, match="/nope"):
        topic_extents_frame(flight.session_id, "/nope", roboto_client=client)


def test_lazy_frames_read_the_catalog_when_collected(shared: Client):
    client = fresh_org(shared)
    frame = sessions_frame(name_contains="late", roboto_client=client)
    assert frame.collect().is_empty()
    Session.create(name="late-arrival", roboto_client=client)
    assert frame.collect()["name"].to_list() == ["late-arrival"]


def test_devices_frame(client: Client, fleet):
    assert devices_frame(roboto_client=client)["name"].to_list() == ["falcon", "hawk", "rover"]


def test_unknown_and_other_orgs_sessions_are_not_found(client: Client, fleet):
    other = client.as_caller(org_ids=["org_b"])
    theirs = Session.create(name="Flight-other", roboto_client=other)
    flight = fleet["sessions"]["Flight-001"]
    for session_id in ("se_does_not_exist", theirs.session_id):
        for call in (session_files_frame, session_topics_frame, session_extents_frame):
            with pytest.raises(NotFoundError, match=session_id):
                call(session_id, roboto_client=client)
        with pytest.raises(NotFoundError, match=session_id):
            topic_extents_frame(session_id, "/imu", roboto_client=client)
    # and the other way round: org_b sees only its own
    assert sessions_frame(roboto_client=other).collect()["name"].to_list() == ["Flight-other"]
    assert "Flight-other" not in sessions_frame(roboto_client=client).collect()["name"].to_list()
    with pytest.raises(NotFoundError):
        session_topics_frame(flight.session_id, roboto_client=other)
    assert contributions_frame(roboto_client=other).collect().is_empty()
    assert devices_frame(roboto_client=other).is_empty()


# -- anchored and unanchored time -------------------------------------------------------------------


def test_frames_say_which_sessions_and_files_are_anchored(shared: Client):
    """A session is anchored when every file it holds is (anchored not false); the frames carry the
    flag and leave the dates of unanchored rows empty rather than in 1970."""
    client = fresh_org(shared)
    dataset = Dataset.create("mixed", roboto_client=client)
    t0, boot = EPOCH_2026_NS, 191 * SECOND_NS  # wall clock, and 3 min 11 s after a boot

    def registered(path: str, lo: int, anchored: bool | None) -> str:
        topics = [RecordedTopic("/imu", spans=((lo, lo + 60 * SECOND_NS),))]
        return dataset.register_file(path, topics, anchored=anchored).file_id

    wall, relative = registered("wall.mcap", t0, True), registered("boot.ulg", boot, False)
    unknown = registered("by-hand.csv", t0, None)
    held = {
        "wall": [wall],
        "relative": [relative],
        "mixed": [wall, relative],
        "unknown": [unknown],
        "empty": [],
    }
    ids = {}
    for name, file_ids in held.items():
        session = Session.create(name=name, roboto_client=client)
        if file_ids:
            session.add_files([SessionFile(f) for f in file_ids])
        ids[name] = session.session_id
    # The oracle: each file's own flag, through the File API, and the rule applied by hand.
    file_anchored = {
        f: File.from_id(f, roboto_client=client).anchored is not False for f in (wall, relative, unknown)
    }
    expected = {ids[name]: all(file_anchored[f] for f in files) for name, files in held.items()}
    assert expected == {
        ids["wall"]: True,
        ids["relative"]: False,
        ids["mixed"]: False,
        ids["unknown"]: True,
        ids["empty"]: True,
    }

    rows = sessions_frame(roboto_client=client).collect()
    assert rows.schema["anchored"] == pl.Boolean
    assert dict(rows.select("session_id", "anchored").iter_rows()) == expected
    for row in rows.iter_rows(named=True):
        dates = (
            (utc(row["min_timestamp_ns"]), utc(row["max_timestamp_ns"])) if row["anchored"] else (None, None)
        )
        assert (row["start"], row["end"]) == dates
    with connect(roboto_client=client) as con:
        assert dict(con.sql("SELECT session_id, anchored FROM session_anchored").fetchall()) == expected

    # A time window is wall clock: unanchored sessions are never in it, whatever their ns.
    windowed = sessions_frame(end_ns=t0 + 3600 * SECOND_NS, roboto_client=client).collect()
    assert set(windowed["session_id"]) == {ids["wall"], ids["unknown"]}

    contributions = contributions_frame(roboto_client=client).collect()
    assert {(r["file_id"], r["anchored"]) for r in contributions.iter_rows(named=True)} == set(
        file_anchored.items()
    )
    assert contributions.filter(~pl.col("anchored"))["start"].is_null().all()
    mixed = session_extents_frame(ids["mixed"], roboto_client=client).collect()
    assert dict(mixed.select("file_id", "anchored").unique().iter_rows()) == {wall: True, relative: False}
    relative_extent = mixed.filter(pl.col("file_id") == relative).row(0, named=True)
    assert (relative_extent["min_wall_ns"], relative_extent["start"]) == (boot, None)
