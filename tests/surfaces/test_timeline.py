"""The timeline picture is a valid PNG of the asked width, taller with more rows, with a session
panel on request, and refuses to draw nothing."""

from __future__ import annotations

import itertools
import random
import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib import image

from sessions_lib import (
    Client,
    Device,
    InvalidRequestError,
    NotFoundError,
    RecordedTopic,
    Session,
    SessionFile,
    register_dataset,
    register_device,
    register_file,
)
from sessions_lib.store.inferred import replace_inferred_sessions
from sessions_lib.surfaces.frames import sessions_frame
from sessions_lib.surfaces.timeline import draw_timeline
from sessions_lib.surfaces.timeline.axis import TimeAxis
from tests.conftest import EPOCH_2026_NS, SECOND_NS, Recordings

HOUR_NS = 3600 * SECOND_NS
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, after checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, "not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def assert_drawn(path: Path, width_px: int) -> int:
    """A non-empty PNG of the given width with something on it; returns its height."""
    width, height = png_size(path)
    assert width == width_px and height > 100
    pixels = image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0).shape[0] > 10  # not a blank canvas
    return height


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    """One catalog for the module: the tests only draw from it (or write in other orgs)."""
    client = Client(tmp_path_factory.mktemp("timeline") / "catalog", org_ids=["org_a"])
    yield client
    client.catalog.close()


@pytest.fixture(scope="module")
def small_fleet(client: Client) -> dict[str, str]:
    """Two devices, a formation, a ranged contribution, an unattached session and an empty one."""
    t0, recordings = EPOCH_2026_NS, Recordings(client)
    falcon = Device.create("falcon", roboto_client=client)
    hawk = Device.create("hawk", roboto_client=client)

    def flight(device: Device, start_h: float, hours: float, name: str) -> Session:
        a, b = t0 + int(start_h * HOUR_NS), t0 + int((start_h + hours) * HOUR_NS)
        file = recordings.file({"/imu": [(a, b)], "/gps": [(a, a + (b - a) // 3), (b - (b - a) // 3, b)]})
        return device.create_session(name, files=[file])

    first = flight(falcon, 9, 0.5, "falcon-morning")
    flight(hawk, 9.2, 0.4, "hawk-morning")
    formation = flight(falcon, 30, 1, "formation-with-a-long-name-that-will-not-fit-in-its-bar")
    formation.attach_to_device(hawk.device_id)
    extra = recordings.file({"/camera": [(t0 + 30 * HOUR_NS, t0 + 32 * HOUR_NS)]})
    formation.add_file(extra.file_id, t0 + 30 * HOUR_NS + HOUR_NS // 4, t0 + 30 * HOUR_NS + HOUR_NS // 2)
    loose = Session.create(name="bench-test", roboto_client=client)
    loose.add_file(recordings.file({"/imu": [(t0 + 80 * HOUR_NS, t0 + 81 * HOUR_NS)]}).file_id)
    Session.create(name="no-contributions-yet", roboto_client=client)
    return {
        "falcon": falcon.device_id,
        "hawk": hawk.device_id,
        "first": first.session_id,
        "formation": formation.session_id,
    }


def test_a_fleet_picture_is_a_png_of_the_asked_width(client: Client, small_fleet, tmp_path: Path):
    path = draw_timeline(tmp_path / "out" / "fleet.png", roboto_client=client)
    assert path == tmp_path / "out" / "fleet.png"
    assert_drawn(path, 1600)
    narrow = draw_timeline(tmp_path / "narrow.png", roboto_client=client, width_px=1023)
    assert_drawn(narrow, 1023)


def test_height_grows_with_the_rows(client: Client, small_fleet, tmp_path: Path):
    one = assert_drawn(
        draw_timeline(tmp_path / "one.png", device_ids=[small_fleet["hawk"]], roboto_client=client), 1600
    )
    every = assert_drawn(draw_timeline(tmp_path / "all.png", roboto_client=client), 1600)
    assert every > one  # falcon, hawk and the unattached row vs hawk alone


def test_the_session_panel_adds_the_sessions_topics(client: Client, small_fleet, tmp_path: Path):
    plain = assert_drawn(draw_timeline(tmp_path / "plain.png", roboto_client=client), 1600)
    path = draw_timeline(tmp_path / "session.png", session_id=small_fleet["formation"], roboto_client=client)
    with_panel = assert_drawn(path, 1600)
    assert with_panel > plain + 3 * 16  # at least a row per topic (/camera, /gps, /imu) more
    ranged = draw_timeline(
        tmp_path / "first.png",
        session_id=small_fleet["first"],
        start_ns=EPOCH_2026_NS,
        end_ns=EPOCH_2026_NS + 12 * HOUR_NS,
        roboto_client=client,
        width_px=900,
    )
    assert_drawn(ranged, 900)


def test_nothing_to_draw_is_refused(client: Client, small_fleet, tmp_path: Path):
    t0 = EPOCH_2026_NS
    nowhere = {"start_ns": t0 - 10 * HOUR_NS, "end_ns": t0 - 9 * HOUR_NS}
    with pytest.raises(InvalidRequestError, match="nothing to draw"):
        draw_timeline(tmp_path / "a.png", roboto_client=client, **nowhere)
    with pytest.raises(InvalidRequestError, match="nothing to draw"):
        draw_timeline(tmp_path / "b.png", device_ids=["dv_nobody"], roboto_client=client)
    empty_org = client.as_caller(org_ids=["org_empty"])
    Session.create(name="still-empty", roboto_client=empty_org)  # a session without contributions
    with pytest.raises(InvalidRequestError, match="nothing to draw"):
        draw_timeline(tmp_path / "c.png", roboto_client=empty_org)
    with pytest.raises(InvalidRequestError, match="width_px"):
        draw_timeline(tmp_path / "d.png", roboto_client=client, width_px=10)
    with pytest.raises(InvalidRequestError, match="after"):
        draw_timeline(tmp_path / "e.png", roboto_client=client, start_ns=t0, end_ns=t0 - 1)
    with pytest.raises(NotFoundError):
        draw_timeline(tmp_path / "f.png", session_id="se_unknown", roboto_client=client)
    assert not list(tmp_path.glob("*.png"))


# -- 100 sessions on screen -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hundred(tmp_path_factory: pytest.TempPathFactory) -> Client:
    """100 sessions of 4 devices over 5 days: windows of a few long files, written in one go."""
    client = Client(tmp_path_factory.mktemp("timeline") / "catalog", org_ids=["org_fleet"])
    rng = random.Random(7)
    dataset = register_dataset("field", roboto_client=client).dataset_id
    names = ("alpha-quad", "bravo-quad", "charlie-rover", "delta-wing")
    devices = [register_device(n, roboto_client=client).device_id for n in names]
    sessions, contributions, attachments = [], [], []
    for d, device in enumerate(devices):
        for day in range(5):
            a = EPOCH_2026_NS + (24 * day + 8) * HOUR_NS
            b = a + 10 * HOUR_NS
            topics = [
                RecordedTopic("/imu", ((a, b),)),
                RecordedTopic("/gps", ((a, a + 4 * HOUR_NS), (a + 5 * HOUR_NS, b))),
            ]
            file_id = register_file(
                dataset, f"{names[d]}/day{day}.mcap", topics, device_id=device, roboto_client=client
            ).file_id
            for k in range(5):
                session_id = f"se_{d}{day}{k}"
                lo = a + 2 * k * HOUR_NS + rng.randint(0, 30) * 60 * SECOND_NS
                hi = lo + rng.randint(10, 90) * 60 * SECOND_NS
                whole = k == 0 and day == 0
                sessions.append((session_id, f"{names[d]}-day{day}-sortie-{k}"))
                contributions.append((session_id, file_id, None if whole else lo, None if whole else hi))
                attachments.append((session_id, device))
    frames = (
        pl.DataFrame(sessions, schema=["session_id", "name"], orient="row"),
        pl.DataFrame(
            contributions,
            schema={
                "session_id": pl.String,
                "file_id": pl.String,
                "range_min_timestamp_ns": pl.Int64,
                "range_max_timestamp_ns": pl.Int64,
            },
            orient="row",
        ),
        pl.DataFrame(attachments, schema=["session_id", "device_id"], orient="row"),
    )
    now = datetime.now(UTC)
    client.catalog.transaction(lambda tx: replace_inferred_sessions(tx, "org_fleet", *frames, now, "test"))
    # and a few made by hand, overlapping the inferred ones
    extra = register_file(
        dataset,
        "alpha-quad/bench.mcap",
        [RecordedTopic("/imu", ((EPOCH_2026_NS + 9 * HOUR_NS, EPOCH_2026_NS + 11 * HOUR_NS),))],
        roboto_client=client,
    )
    Session.create(name="manual-check", device_ids=[devices[0]], roboto_client=client).add_files(
        [SessionFile(extra.file_id)]
    )
    yield client
    client.catalog.close()


def test_a_hundred_sessions(hundred: Client, tmp_path: Path):
    assert sessions_frame(roboto_client=hundred).collect().height == 101
    height = assert_drawn(draw_timeline(tmp_path / "hundred.png", roboto_client=hundred), 1600)
    assert height < 900  # four device rows stay a screenful
    some = sessions_frame(name_contains="bravo-quad-day2-sortie-3", roboto_client=hundred).collect()
    path = draw_timeline(
        tmp_path / "hundred-session.png", session_id=some["session_id"][0], roboto_client=hundred
    )
    assert assert_drawn(path, 1600) > height


# -- the time axis ----------------------------------------------------------------------------------


def test_the_time_axis_cuts_long_idle_stretches_and_keeps_order():
    t0 = EPOCH_2026_NS
    sessions = [
        (t0, t0 + HOUR_NS),
        (t0 + 2 * HOUR_NS, t0 + 3 * HOUR_NS),
        (t0 + 48 * HOUR_NS, t0 + 49 * HOUR_NS),
    ]
    axis = TimeAxis.fitted(sessions, 1000, None, None)
    assert (
        len(axis.cuts) == 1
    )  # the two days between the 2nd and 3rd session, not the hour between 1st and 2nd
    ((_, _, hidden),) = axis.cuts
    assert 44 * HOUR_NS < hidden < 45 * HOUR_NS
    xs = axis.x([t for s in sessions for t in s])
    assert np.all(np.diff(xs) > 0) and xs[0] >= 0 and xs[-1] <= axis.width_px <= 1000
    # a chosen range keeps its ends on the axis
    ranged = TimeAxis.fitted(sessions[:1], 1000, t0 - 10 * HOUR_NS, t0 + 10 * HOUR_NS)
    assert (ranged.times[0], ranged.times[-1]) == (t0 - 10 * HOUR_NS, t0 + 10 * HOUR_NS)
    positions, labels = ranged.ticks()
    assert labels and all(b - a >= 50 for a, b in itertools.pairwise(positions))


# -- unanchored sessions: a panel of their own, on relative time -------------------------------------


@pytest.fixture(scope="module")
def clocks(client: Client) -> dict[str, object]:
    """An org with two wall-clock sessions in 2026 and two unanchored ones (a boot clock from 191 s,
    an episode clock from 0), each registered with the file's own ``anchored`` flag."""
    org = client.as_caller(org_ids=["org_clocks"])
    dataset = register_dataset("mixed", roboto_client=org).dataset_id
    falcon = Device.create("falcon", roboto_client=org)
    t0 = EPOCH_2026_NS
    plan = [  # name, device, start, length, anchored
        ("morning", falcon, t0 + 9 * HOUR_NS, HOUR_NS, True),
        ("evening", falcon, t0 + 18 * HOUR_NS, HOUR_NS // 2, True),
        ("bench-boot", falcon, 191 * SECOND_NS, HOUR_NS, False),
        ("episode", None, 0, 20 * 60 * SECOND_NS, False),
    ]
    anchored = {}
    for name, device, lo, length, flag in plan:
        file = register_file(
            dataset,
            f"{name}.log",
            [RecordedTopic("/imu", ((lo, lo + length),)), RecordedTopic("/gps", ((lo, lo + length // 2),))],
            device_id=device.device_id if device else None,
            anchored=flag,
            roboto_client=org,
        )
        session = Session.create(
            name=name, device_ids=[device.device_id] if device else [], roboto_client=org
        )
        anchored[session.add_file(file.file_id).session_id] = flag
    return {"client": org, "anchored": anchored, "falcon": falcon.device_id}


def test_unanchored_sessions_get_their_own_panel_on_relative_time(clocks, tmp_path: Path):
    from sessions_lib.surfaces.frames import OrgFrames
    from sessions_lib.surfaces.timeline.layout import fleet_panels

    org, anchored = clocks["client"], clocks["anchored"]
    with OrgFrames(roboto_client=org) as frames:
        wall, relative = fleet_panels(frames, None, None, None)
        (only_wall,) = fleet_panels(frames, None, EPOCH_2026_NS, EPOCH_2026_NS + 24 * HOUR_NS)
    drawn = {p.anchored: {s for row in p.rows for s in row.sessions["session_id"]} for p in (wall, relative)}
    assert drawn == {flag: {s for s, f in anchored.items() if f == flag} for flag in (True, False)}
    assert (wall.anchored, relative.anchored, only_wall.anchored) == (True, False, True)
    assert [row.label for row in relative.rows] == ["falcon", "(no device)"]

    # The wall-clock axis stays in 2026 (no stretch back to 1970); the relative one starts near zero.
    wall_axis, relative_axis = wall.axis(1200, None, None), relative.axis(1200, None, None)
    assert wall_axis.times[0] > EPOCH_2026_NS - HOUR_NS and not wall_axis.relative
    assert relative_axis.relative and -HOUR_NS < relative_axis.times[0] <= 0
    assert relative_axis.times[-1] < 2 * HOUR_NS
    wall_labels, relative_labels = wall_axis.ticks()[1], relative_axis.ticks()[1]
    assert wall_labels and all("1970" not in label and "t+" not in label for label in wall_labels)
    assert relative_labels and all(label.startswith(("t+", "t-")) for label in relative_labels)
    assert "t+00:30" in relative_labels or "t+00:20" in relative_labels  # a round relative time

    both = assert_drawn(draw_timeline(tmp_path / "both.png", roboto_client=org, width_px=1200), 1200)
    windowed = draw_timeline(
        tmp_path / "wall.png", start_ns=EPOCH_2026_NS, end_ns=EPOCH_2026_NS + 24 * HOUR_NS, roboto_client=org
    )
    assert both > assert_drawn(windowed, 1600) + 2 * 30  # the relative panel's two device rows, at least


def test_a_catalog_of_unanchored_sessions_is_one_relative_panel(clocks, tmp_path: Path):
    from sessions_lib.surfaces.frames import OrgFrames
    from sessions_lib.surfaces.timeline.layout import fleet_panels

    org = clocks["client"].as_caller(org_ids=["org_sim"])
    dataset = register_dataset("sim", roboto_client=org).dataset_id
    file = register_file(
        dataset,
        "sim.mcap",
        [RecordedTopic("/odom", ((5 * SECOND_NS, 95 * SECOND_NS),))],
        anchored=False,
        roboto_client=org,
    )
    session = Session.create(name="sim-run", roboto_client=org).add_file(file.file_id)
    with OrgFrames(roboto_client=org) as frames:
        (panel,) = fleet_panels(frames, None, None, None)
    assert not panel.anchored and panel.axis(800, None, None).relative
    # With the session's own panel: its axis is relative too.
    path = draw_timeline(tmp_path / "sim.png", session_id=session.session_id, roboto_client=org, width_px=900)
    assert_drawn(path, 900)


def test_each_device_row_of_the_wall_clock_panel_shows_the_devices_coverage(clocks, tmp_path: Path):
    from sessions_lib.surfaces.frames import OrgFrames, device_coverage_frame
    from sessions_lib.surfaces.timeline.layout import fleet_panels

    org = clocks["client"]
    with OrgFrames(roboto_client=org) as frames:
        wall, relative = fleet_panels(frames, None, None, None)
    devices = [row for row in wall.rows if row.device_id is not None]
    assert devices
    for row in devices:
        expected = device_coverage_frame(row.device_id, roboto_client=org)
        assert row.coverage is not None and row.coverage.equals(expected)
    assert all(row.coverage is None for row in relative.rows)  # relative time: no wall-clock data
    draw_timeline(tmp_path / "coverage.png", roboto_client=org, width_px=1200)
