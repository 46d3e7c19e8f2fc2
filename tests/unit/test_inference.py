"""Session inference (sessions_lib.inference): each rule by example, then hypothesis against a plain
reference sessionization written below with loops and a small union-find."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from sessions_lib.errors import InvalidRequestError
from sessions_lib.inference import InferenceRules, InferredSessions, infer_sessions
from sessions_lib.model.ids import stable_id

S = 10**9
T0 = 1_700_000_000 * S  # 2023-11-14T22:13:20Z
ACTIVITY_SCHEMA = {
    "org_id": pl.String,
    "device_id": pl.String,
    "file_id": pl.String,
    "kind": pl.String,
    "start_ns": pl.Int64,
    "end_ns": pl.Int64,
    "anchored": pl.Boolean,
}
DEVICE_SCHEMA = {
    "org_id": pl.String,
    "device_id": pl.String,
    "name": pl.String,
    "device_type": pl.String,
    "mission_tags": pl.List(pl.String),
}


@dataclass(frozen=True)
class Row:
    org_id: str
    device_id: str
    file_id: str
    kind: str
    start_ns: int
    end_ns: int
    anchored: bool = True


@dataclass(frozen=True)
class Dev:
    org_id: str
    device_id: str
    name: str
    device_type: str | None = None
    mission_tags: tuple[str, ...] = ()


def activity_frame(rows: list[Row]) -> pl.DataFrame:
    return pl.DataFrame([vars(row) for row in rows], schema=ACTIVITY_SCHEMA)


def device_frame(devices: list[Dev]) -> pl.DataFrame:
    return pl.DataFrame(
        [{**vars(device), "mission_tags": list(device.mission_tags)} for device in devices],
        schema=DEVICE_SCHEMA,
    )


def infer(rows: list[Row], devices: list[Dev], rules: InferenceRules | None = None) -> InferredSessions:
    return infer_sessions(activity_frame(rows), device_frame(devices), rules or InferenceRules())


Contribution = tuple[str, int | None, int | None]
Summary = tuple[str, tuple[str, ...], int, int, frozenset[Contribution]]


def summarize(inferred: InferredSessions) -> set[Summary]:
    """Each session as (org, sorted device ids, min, max, its contributions)."""
    devices: dict[str, list[str]] = defaultdict(list)
    for row in inferred.attachments.iter_rows(named=True):
        devices[row["session_id"]].append(row["device_id"])
    files: dict[str, set[Contribution]] = defaultdict(set)
    for row in inferred.contributions.iter_rows(named=True):
        files[row["session_id"]].add(
            (row["file_id"], row["range_min_timestamp_ns"], row["range_max_timestamp_ns"])
        )
    return {
        (
            row["org_id"],
            tuple(sorted(devices[row["session_id"]])),
            row["min_timestamp_ns"],
            row["max_timestamp_ns"],
            frozenset(files[row["session_id"]]),
        )
        for row in inferred.sessions.iter_rows(named=True)
    }


# --- the reference: the rules of the module docstring, written plainly ---------------------------


def reference(rows: list[Row], devices: list[Dev], rules: InferenceRules) -> set[Summary]:
    by_id = {(d.org_id, d.device_id): d for d in devices}
    per_device: list[tuple[str, str, list[Row], bool]] = []  # org, device, rows, is_episode
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        grouped[(row.org_id, row.device_id)].append(row)
    for (org, device), own in sorted(grouped.items()):
        gap = rules.gap_ns(by_id[(org, device)].device_type)
        flights = [[row] for row in own if row.kind == "armed" and row.anchored]
        loose = []
        for row in (r for r in own if r.kind == "file" and r.anchored):
            overlapped = [f for f in flights if row.start_ns <= f[0].end_ns and row.end_ns >= f[0].start_ns]
            for flight in overlapped:
                flight.append(row)
            if not overlapped:
                loose.append(row)
        islands: list[list[Row]] = []
        latest_end = 0
        for row in sorted(loose, key=lambda r: r.start_ns):
            if islands and row.start_ns <= latest_end + gap:
                islands[-1].append(row)
                latest_end = max(latest_end, row.end_ns)
            else:
                islands.append([row])
                latest_end = row.end_ns
        per_device += [(org, device, members, False) for members in flights + islands]
        per_device += [(org, device, [row], True) for row in own if row.kind == "episode" or not row.anchored]

    parent = list(range(len(per_device)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    def window(members: list[Row]) -> tuple[int, int]:
        return min(r.start_ns for r in members), max(r.end_ns for r in members)

    for i, (org_i, dev_i, rows_i, episode_i) in enumerate(per_device):
        for j, (org_j, dev_j, rows_j, episode_j) in enumerate(per_device[:i]):
            shared = set(by_id[(org_i, dev_i)].mission_tags) & set(by_id[(org_j, dev_j)].mission_tags)
            (lo_i, hi_i), (lo_j, hi_j) = window(rows_i), window(rows_j)
            if (
                org_i == org_j
                and shared
                and not episode_i
                and not episode_j
                and lo_i <= hi_j
                and lo_j <= hi_i
            ):
                parent[find(i)] = find(j)
    components: dict[int, list[int]] = defaultdict(list)
    for i in range(len(per_device)):
        components[find(i)].append(i)
    sessions: list[list[int]] = []
    for members in components.values():
        if len({per_device[i][1] for i in members}) > 1:
            sessions.append(members)
        else:
            sessions += [[i] for i in members]

    result = set()
    for members in sessions:
        session_rows = [row for i in members for row in per_device[i][2]]
        contributions = set()
        for file_id in {row.file_id for row in session_rows}:
            of_file = [row for row in session_rows if row.file_id == file_id]
            if any(row.kind == "file" for row in of_file):
                contributions.add((file_id, None, None))
            else:
                contributions.add((file_id, *window(of_file)))
        lo, hi = window(session_rows)
        devices_of = tuple(sorted({per_device[i][1] for i in members}))
        result.add((per_device[members[0]][0], devices_of, lo, hi, frozenset(contributions)))
    return result


# --- rules by example ------------------------------------------------------------------------------

DRONE = Dev("org_a", "dv_drone", "falcon", "drone", ("survey",))
WINGMAN = Dev("org_a", "dv_wing", "kestrel", "drone", ("survey",))
ROVER = Dev("org_a", "dv_rover", "rover", "rover")
ARM = Dev("org_a", "dv_arm", "so100", "arm")


def test_files_closer_than_the_gap_are_one_session_and_a_longer_pause_starts_another():
    rows = [
        Row("org_a", "dv_rover", "fl_1", "file", T0, T0 + 60 * S),
        Row("org_a", "dv_rover", "fl_2", "file", T0 + 660 * S, T0 + 700 * S),  # exactly the gap later
        Row("org_a", "dv_rover", "fl_3", "file", T0 + 1301 * S, T0 + 1400 * S),  # 601 s later
    ]
    assert summarize(infer(rows, [ROVER])) == {
        ("org_a", ("dv_rover",), T0, T0 + 700 * S, frozenset({("fl_1", None, None), ("fl_2", None, None)})),
        ("org_a", ("dv_rover",), T0 + 1301 * S, T0 + 1400 * S, frozenset({("fl_3", None, None)})),
    }


def test_the_gap_is_measured_from_the_latest_end_not_the_previous_file():
    rows = [
        Row("org_a", "dv_rover", "fl_long", "file", T0, T0 + 3600 * S),
        Row("org_a", "dv_rover", "fl_short", "file", T0 + 10 * S, T0 + 20 * S),
        Row("org_a", "dv_rover", "fl_next", "file", T0 + 3700 * S, T0 + 3800 * S),
    ]
    assert len(infer(rows, [ROVER]).sessions) == 1


def test_the_gap_is_configured_per_device_type():
    rows = [
        Row("org_a", device, f"fl_{device}_{i}", "file", T0 + i * 100 * S, T0 + i * 100 * S + 10 * S)
        for device in ("dv_rover", "dv_arm")
        for i in range(3)
    ]
    rules = InferenceRules(default_gap_ns=600 * S, gap_ns_by_device_type={"arm": 60 * S})
    sessions = infer(rows, [ROVER, ARM], rules).sessions
    assert sorted(sessions["name"].str.split("-").list.first().to_list()) == [
        "rover",
        "so100",
        "so100",
        "so100",
    ]


def test_two_armed_flights_in_one_ulog_closer_than_the_gap_stay_two_sessions():
    rows = [
        Row("org_a", "dv_drone", "fl_ulog", "armed", T0 + 10 * S, T0 + 100 * S),
        Row("org_a", "dv_drone", "fl_ulog", "armed", T0 + 130 * S, T0 + 200 * S),
    ]
    inferred = infer(rows, [DRONE])
    assert summarize(inferred) == {
        (
            "org_a",
            ("dv_drone",),
            T0 + 10 * S,
            T0 + 100 * S,
            frozenset({("fl_ulog", T0 + 10 * S, T0 + 100 * S)}),
        ),
        (
            "org_a",
            ("dv_drone",),
            T0 + 130 * S,
            T0 + 200 * S,
            frozenset({("fl_ulog", T0 + 130 * S, T0 + 200 * S)}),
        ),
    }
    assert inferred.sessions["name"].to_list() == ["falcon-20231114-221330", "falcon-20231114-221530"]


def test_a_file_overlapping_a_flight_joins_it_whole_and_a_merely_near_file_does_not():
    rows = [
        Row("org_a", "dv_drone", "fl_ulog", "armed", T0 + 100 * S, T0 + 200 * S),
        Row("org_a", "dv_drone", "fl_cam", "file", T0 + 50 * S, T0 + 100 * S),  # touches the flight
        Row("org_a", "dv_drone", "fl_near", "file", T0 + 210 * S, T0 + 260 * S),  # within the gap only
    ]
    assert summarize(infer(rows, [DRONE])) == {
        (
            "org_a",
            ("dv_drone",),
            T0 + 50 * S,
            T0 + 200 * S,
            frozenset({("fl_ulog", T0 + 100 * S, T0 + 200 * S), ("fl_cam", None, None)}),
        ),
        ("org_a", ("dv_drone",), T0 + 210 * S, T0 + 260 * S, frozenset({("fl_near", None, None)})),
    }


def test_a_file_spanning_two_flights_joins_both_and_they_stay_apart():
    rows = [
        Row("org_a", "dv_rover", "fl_ulog", "armed", T0 + 10 * S, T0 + 20 * S),
        Row("org_a", "dv_rover", "fl_ulog", "armed", T0 + 30 * S, T0 + 40 * S),
        Row("org_a", "dv_rover", "fl_cam", "file", T0, T0 + 50 * S),
    ]
    inferred = infer(rows, [ROVER])
    assert len(inferred.sessions) == 2
    assert inferred.contributions.filter(file_id="fl_cam")["range_min_timestamp_ns"].to_list() == [None, None]


def test_episodes_are_sessions_of_their_own_slice_and_never_merge():
    arms = [
        Dev("org_a", "dv_arm", "so100", "arm", ("pick",)),
        Dev("org_a", "dv_arm2", "so101", "arm", ("pick",)),
    ]
    rows = [
        Row("org_a", "dv_arm", "fl_lerobot", "episode", T0, T0 + 30 * S),
        Row("org_a", "dv_arm", "fl_lerobot", "episode", T0 + 30 * S, T0 + 60 * S),  # touching
        Row("org_a", "dv_arm2", "fl_other", "episode", T0 + 10 * S, T0 + 20 * S),  # same tag, overlapping
    ]
    assert summarize(infer(rows, arms)) == {
        ("org_a", ("dv_arm",), T0, T0 + 30 * S, frozenset({("fl_lerobot", T0, T0 + 30 * S)})),
        (
            "org_a",
            ("dv_arm",),
            T0 + 30 * S,
            T0 + 60 * S,
            frozenset({("fl_lerobot", T0 + 30 * S, T0 + 60 * S)}),
        ),
        (
            "org_a",
            ("dv_arm2",),
            T0 + 10 * S,
            T0 + 20 * S,
            frozenset({("fl_other", T0 + 10 * S, T0 + 20 * S)}),
        ),
    }


def test_unanchored_files_are_sessions_of_their_own_named_without_a_date():
    bench = Dev("org_a", "dv_px4", "px4-lab", "drone", ("survey",))
    rows = [
        # Two boot-relative logs of one device and a simulator file of another, all at small,
        # overlapping times: comparable only within each recording.
        Row("org_a", "dv_px4", "fl_a", "file", 10 * S, 200 * S, anchored=False),
        Row("org_a", "dv_px4", "fl_b", "file", 50 * S, 90 * S, anchored=False),
        Row("org_a", "dv_px4", "fl_c", "armed", 20 * S, 40 * S, anchored=False),
        Row("org_a", "dv_px4", "fl_c", "armed", 60 * S, 80 * S, anchored=False),
        Row("org_a", "dv_drone", "fl_sim", "file", 0, 300 * S, anchored=False),
        Row("org_a", "dv_drone", "fl_wall", "file", T0, T0 + S),
        Row("org_a", "dv_px4", "fl_wall2", "file", T0, T0 + S),  # formation with fl_wall: both anchored
    ]
    paths = {
        "fl_a": "bench/log_1.ulg",
        "fl_b": "bench/log_2.ulg",
        "fl_c": "log_3.ulg",
        "fl_sim": "sim/run.mcap",
        "fl_wall": "w.mcap",
        "fl_wall2": "w2.mcap",
    }
    activity = activity_frame(rows).with_columns(file_name=pl.col("file_id").replace_strict(paths))
    inferred = infer_sessions(activity, device_frame([bench, DRONE]))
    by_files = inferred.contributions.group_by("session_id").agg(pl.col("file_id").sort())
    held = sorted(tuple(files) for files in by_files["file_id"].to_list())
    assert held == [("fl_a",), ("fl_b",), ("fl_c",), ("fl_c",), ("fl_sim",), ("fl_wall", "fl_wall2")]
    assert sorted(inferred.sessions["name"]) == [
        "falcon-20231114-221320-formation",
        "falcon-unanchored-run",
        "px4-lab-unanchored-log_1",
        "px4-lab-unanchored-log_2",
        "px4-lab-unanchored-log_3",
        "px4-lab-unanchored-log_3-2",  # the log's second flight
    ]
    second = inferred.sessions.filter(name="px4-lab-unanchored-log_3-2")
    assert second["min_timestamp_ns"].item() == 60 * S


def test_sessions_that_would_share_a_name_get_numbered_suffixes_by_start():
    # Three flights of one device within the same second: one name by date, made unique.
    rows = [
        Row("org_a", "dv_rover", "fl_1", "armed", T0 + 300_000_000, T0 + S),
        Row("org_a", "dv_rover", "fl_1", "armed", T0, T0 + 100_000_000),
        Row("org_a", "dv_rover", "fl_2", "armed", T0 + 200_000_000, T0 + 250_000_000),
    ]
    inferred = infer(rows, [ROVER])
    names = dict(zip(inferred.sessions["min_timestamp_ns"], inferred.sessions["name"], strict=True))
    assert names == {
        T0: "rover-20231114-221320",
        T0 + 200_000_000: "rover-20231114-221320-2",
        T0 + 300_000_000: "rover-20231114-221320-3",
    }
    long = Dev("org_a", "dv_long", "x" * 200, "rover")
    twice = [Row("org_a", "dv_long", f"fl_{i}", "armed", T0 + i, T0 + i) for i in range(12)]
    names = infer(twice, [long]).sessions["name"]
    assert names.is_unique().all() and names.str.len_chars().max() <= 120


def test_overlapping_devices_sharing_a_mission_tag_fly_one_formation():
    rows = [
        Row("org_a", "dv_drone", "fl_a", "armed", T0, T0 + 100 * S),
        Row("org_a", "dv_wing", "fl_b", "armed", T0 + 100 * S, T0 + 180 * S),  # touches: closed intervals
        Row("org_a", "dv_rover", "fl_c", "file", T0 + 50 * S, T0 + 60 * S),  # overlaps, but no tag
    ]
    inferred = infer(rows, [DRONE, WINGMAN, ROVER])
    assert summarize(inferred) == {
        (
            "org_a",
            ("dv_drone", "dv_wing"),
            T0,
            T0 + 180 * S,
            frozenset({("fl_a", T0, T0 + 100 * S), ("fl_b", T0 + 100 * S, T0 + 180 * S)}),
        ),
        ("org_a", ("dv_rover",), T0 + 50 * S, T0 + 60 * S, frozenset({("fl_c", None, None)})),
    }
    formation = inferred.sessions.filter(pl.col("min_timestamp_ns") == T0).row(0, named=True)
    assert formation["name"] == "falcon-20231114-221320-formation"  # dv_drone sorts before dv_wing
    assert formation["session_id"] == stable_id("se", "org_a", "inferred", "dv_drone", "dv_wing", str(T0))


def test_shared_tag_without_overlap_or_overlap_without_shared_tag_is_no_formation():
    other = Dev("org_a", "dv_other", "owl", "drone", ("mapping",))
    rows = [
        Row("org_a", "dv_drone", "fl_a", "file", T0, T0 + 100 * S),
        Row("org_a", "dv_wing", "fl_b", "file", T0 + 101 * S, T0 + 180 * S),  # later, though within the gap
        Row("org_a", "dv_other", "fl_c", "file", T0 + 50 * S, T0 + 60 * S),  # overlaps, other tag
    ]
    assert len(infer(rows, [DRONE, WINGMAN, other]).sessions) == 3


def test_formations_connect_through_devices_with_several_tags_down_a_long_chain():
    # Device i carries tags t{i} and t{i+1} and overlaps only its neighbours: one chain of 40.
    devices = [Dev("org_a", f"dv_{i:02d}", f"d{i}", "drone", (f"t{i}", f"t{i + 1}")) for i in range(40)]
    rows = [
        Row("org_a", f"dv_{i:02d}", f"fl_{i:02d}", "file", T0 + i * 10 * S, T0 + i * 10 * S + 10 * S)
        for i in reversed(range(40))
    ]
    inferred = infer(rows, devices, InferenceRules(default_gap_ns=0))
    assert len(inferred.sessions) == 1
    assert inferred.attachments.height == 40
    assert inferred.sessions["name"].to_list() == ["d0-20231114-221320-formation"]


def test_formations_stay_within_an_org():
    rows = [
        Row("org_a", "dv_drone", "fl_a", "file", T0, T0 + 100 * S),
        Row("org_b", "dv_drone", "fl_b", "file", T0, T0 + 100 * S),
    ]
    devices = [DRONE, Dev("org_b", "dv_drone", "falcon", "drone", ("survey",))]
    inferred = infer(rows, devices)
    assert inferred.sessions["org_id"].to_list() == ["org_a", "org_b"]
    assert inferred.sessions["session_id"].n_unique() == 2


def test_a_file_with_several_rows_in_one_session_contributes_once_with_their_span():
    rows = [
        Row("org_a", "dv_drone", "fl_ulog", "armed", T0 + 10 * S, T0 + 20 * S),
        Row("org_a", "dv_drone", "fl_ulog", "armed", T0 + 30 * S, T0 + 40 * S),
        Row("org_a", "dv_wing", "fl_wing", "file", T0, T0 + 50 * S),  # bridges both flights
        Row("org_a", "dv_wing", "fl_wing2", "file", T0 + 5 * S, T0 + 6 * S),
        Row("org_a", "dv_wing", "fl_wing2", "file", T0 + 7 * S, T0 + 8 * S),  # a repeated whole file
    ]
    inferred = infer(rows, [DRONE, WINGMAN])
    assert summarize(inferred) == {
        (
            "org_a",
            ("dv_drone", "dv_wing"),
            T0,
            T0 + 50 * S,
            frozenset(
                {("fl_ulog", T0 + 10 * S, T0 + 40 * S), ("fl_wing", None, None), ("fl_wing2", None, None)}
            ),
        )
    }


def test_sessions_of_one_device_that_begin_together_get_distinct_ids():
    rows = [
        Row("org_a", "dv_rover", "fl_ulog", "armed", T0, T0 + 10 * S),
        Row("org_a", "dv_rover", "fl_ulog2", "armed", T0, T0 + 20 * S),
    ]
    first, again = infer(rows, [ROVER]), infer(rows[::-1], [ROVER])
    assert first.sessions["session_id"].n_unique() == 2
    assert_frame_equal(first.sessions, again.sessions)
    assert stable_id("se", "org_a", "inferred", "dv_rover", str(T0)) in first.sessions["session_id"].to_list()


def test_outputs_have_the_documented_columns_and_an_empty_input_gives_empty_frames():
    inferred = infer([], [ROVER])
    assert inferred.sessions.schema == pl.Schema(
        {
            "org_id": pl.String,
            "session_id": pl.String,
            "name": pl.String,
            "min_timestamp_ns": pl.Int64,
            "max_timestamp_ns": pl.Int64,
        }
    )
    assert inferred.contributions.columns == [
        "org_id",
        "session_id",
        "file_id",
        "range_min_timestamp_ns",
        "range_max_timestamp_ns",
    ]
    assert inferred.attachments.columns == ["org_id", "session_id", "device_id"]
    assert inferred.sessions.height == inferred.contributions.height == inferred.attachments.height == 0


def test_a_lazy_frame_is_accepted_and_names_fit_the_limit():
    long_name = Dev("org_a", "dv_long", "x" * 200, "rover")
    rows = [Row("org_a", "dv_long", "fl_1", "file", T0, T0 + S)]
    inferred = infer_sessions(activity_frame(rows).lazy(), device_frame([long_name]))
    assert len(inferred.sessions["name"][0]) <= 120
    assert inferred.sessions["name"][0].endswith("-20231114-221320")


# --- refusals --------------------------------------------------------------------------------------

GOOD_ROW = Row("org_a", "dv_rover", "fl_1", "file", T0, T0 + S)


@pytest.mark.parametrize(
    ("activity", "message"),
    [
        (activity_frame([GOOD_ROW]).drop("kind"), "missing column(s) 'kind'"),
        (activity_frame([GOOD_ROW]).with_columns(pl.col("start_ns").cast(pl.String)), "'start_ns' must be"),
        (
            activity_frame([GOOD_ROW]).with_columns(pl.col("file_id").cast(pl.Int64, strict=False)),
            "'file_id'",
        ),
        (activity_frame([Row("org_a", "dv_rover", "fl_1", "file", T0 + 2, T0 + 1)]), "start_ns after end_ns"),
        (activity_frame([Row("org_a", "dv_rover", "fl_1", "speed", T0, T0)]), "a kind other than"),
        (activity_frame([GOOD_ROW]).with_columns(file_id=pl.lit(None, pl.String)), "null values"),
        (activity_frame([Row("org_a", "dv_ghost", "fl_1", "file", T0, T0)]), "org_a/dv_ghost"),
        (activity_frame([Row("org_b", "dv_rover", "fl_1", "file", T0, T0)]), "org_b/dv_rover"),
        (activity_frame([Row("org_a", "dv_rover", "fl_1", "file", 0, 2**62)]), "beyond"),
        (
            activity_frame([GOOD_ROW, Row("org_a", "dv_rover", "fl_1", "armed", T0, T0)]),
            "both as a whole-file row",
        ),
    ],
)
def test_bad_activity_is_refused_naming_the_problem(activity: pl.DataFrame, message: str):
    with pytest.raises(InvalidRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        infer_sessions(activity, device_frame([ROVER]))


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        (device_frame([ROVER]).drop("mission_tags"), "missing column(s) 'mission_tags'"),
        (device_frame([ROVER, ROVER]), "same (org_id, device_id)"),
        (device_frame([ROVER]).with_columns(pl.col("mission_tags").list.join(",")), "'mission_tags' must be"),
    ],
)
def test_bad_devices_are_refused(devices: pl.DataFrame, message: str):
    with pytest.raises(InvalidRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        infer_sessions(activity_frame([GOOD_ROW]), devices)


@pytest.mark.parametrize(
    "make",
    [
        lambda: InferenceRules(default_gap_ns=-1),
        lambda: InferenceRules(default_gap_ns=1.5),  # type: ignore[arg-type]
        lambda: InferenceRules(gap_ns_by_device_type={"arm": -5}),
        lambda: InferenceRules(gap_ns_by_device_type={"": 5}),
    ],
)
def test_bad_rules_are_refused(make):
    with pytest.raises(InvalidRequestError):
        make()


def test_rules_are_frozen():
    given_gaps = {"arm": 5}
    rules = InferenceRules(gap_ns_by_device_type=given_gaps)
    given_gaps["arm"] = 7
    assert rules.gap_ns("arm") == 5
    assert rules.gap_ns(None) == rules.gap_ns("boat") == 600 * S
    with pytest.raises(TypeError):
        rules.gap_ns_by_device_type["arm"] = 9  # type: ignore[index]


# --- properties against the reference -----------------------------------------------------------

ORGS = ("org_a", "org_a", "org_a", "org_b")  # mostly one org, so that formations are common
TYPES = (None, "drone", "arm")
TAG_SETS = ((), ("t1",), ("t2",), ("t1", "t2"), ("t3",), ("t1",))
PROPERTY_RULES = InferenceRules(default_gap_ns=10, gap_ns_by_device_type={"drone": 0, "arm": 25})


@st.composite
def fleets(draw) -> tuple[list[Row], list[Dev]]:
    """A few devices in two orgs, each with whole files, ULogs of armed flights and LeRobot files
    of episodes, at small integer times so that overlaps, touches and gaps are common."""
    device_count = draw(st.integers(1, 5))
    devices = [
        Dev(
            draw(st.sampled_from(ORGS)),
            f"dv_{i}",
            f"name{i}",
            draw(st.sampled_from(TYPES)),
            draw(st.sampled_from(TAG_SETS)),
        )
        for i in range(device_count)
    ]
    rows: list[Row] = []
    for file_number in range(draw(st.integers(0, 14))):
        device = draw(st.sampled_from(devices))
        kind = draw(st.sampled_from(("file", "file", "armed", "episode")))
        anchored = draw(st.sampled_from((True, True, True, False)))
        start = draw(st.integers(0, 150))
        slices = 1 if kind == "file" else draw(st.integers(1, 3))
        for _ in range(slices):
            begin = draw(st.integers(start, start + 40))
            rows.append(
                Row(
                    device.org_id,
                    device.device_id,
                    f"fl_{file_number}",
                    kind,
                    begin,
                    begin + draw(st.integers(0, 30)),
                    anchored,
                )
            )
    return rows, devices


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_inference_equals_the_reference(fleet: tuple[list[Row], list[Dev]]):
    rows, devices = fleet
    inferred = infer(rows, devices, PROPERTY_RULES)
    assert summarize(inferred) == reference(rows, devices, PROPERTY_RULES)
    assert inferred.sessions["session_id"].is_unique().all()
    assert inferred.sessions.select("org_id", "name").is_unique().all()
    assert inferred.contributions.select("session_id", "file_id").is_unique().all()


@settings(max_examples=100, deadline=None)
@given(fleets(), st.randoms(use_true_random=False))
def test_any_row_order_gives_identical_frames_and_ids(fleet: tuple[list[Row], list[Dev]], rng: random.Random):
    rows, devices = fleet
    first = infer(rows, devices, PROPERTY_RULES)
    shuffled_rows, shuffled_devices = rows[:], devices[:]
    rng.shuffle(shuffled_rows)
    rng.shuffle(shuffled_devices)
    again = infer(shuffled_rows, shuffled_devices, PROPERTY_RULES)
    assert_frame_equal(first.sessions, again.sessions)
    assert_frame_equal(first.contributions, again.contributions)
    assert_frame_equal(first.attachments, again.attachments)


@settings(max_examples=100, deadline=None)
@given(fleets())
def test_ids_come_from_org_devices_and_start_and_bounds_from_contributions(
    fleet: tuple[list[Row], list[Dev]],
):
    rows, devices = fleet
    inferred = infer(rows, devices, PROPERTY_RULES)
    whole = {row.file_id: (row.start_ns, row.end_ns) for row in rows if row.kind == "file"}
    attached = inferred.attachments.group_by("session_id").agg(pl.col("device_id").sort())
    devices_of = dict(attached.iter_rows())
    for session in inferred.sessions.iter_rows(named=True):
        held = inferred.contributions.filter(session_id=session["session_id"])["file_id"].to_list()
        unanchored = [row.file_id for row in rows if row.file_id in held and not row.anchored]
        expected = stable_id(
            "se",
            session["org_id"],
            "inferred",
            *devices_of[session["session_id"]],
            str(session["min_timestamp_ns"]),
            *unanchored[:1],
        )
        clashing = inferred.sessions.filter(
            pl.col("min_timestamp_ns") == session["min_timestamp_ns"], pl.col("org_id") == session["org_id"]
        ).height
        assert session["session_id"] == expected or clashing > 1
        windows = [
            whole[c["file_id"]] if c["range_min_timestamp_ns"] is None else tuple(c.values())[3:]
            for c in inferred.contributions.filter(session_id=session["session_id"]).iter_rows(named=True)
        ]
        assert session["min_timestamp_ns"] == min(lo for lo, _ in windows)
        assert session["max_timestamp_ns"] == max(hi for _, hi in windows)


@settings(max_examples=60, deadline=None)
@given(fleets())
def test_unrelated_activity_leaves_ids_alone(fleet: tuple[list[Row], list[Dev]]):
    rows, devices = fleet
    before = infer(rows, devices, PROPERTY_RULES)
    # Another untagged device, and a later file of one device well beyond every gap.
    newcomer = Dev("org_a", "dv_new", "newcomer", "drone")
    later = [
        Row("org_a", "dv_new", "fl_new", "file", 50, 60),
        Row(devices[0].org_id, devices[0].device_id, "fl_late", "file", 10_000, 10_010),
    ]
    after = infer(rows + later, [*devices, newcomer], PROPERTY_RULES)
    assert set(before.sessions["session_id"]) <= set(after.sessions["session_id"])
