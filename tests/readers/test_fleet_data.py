"""The embedded default fleet in ``data/``: what the generator says it wrote is what the files hold.

``data/generate.py`` computes ``ground_truth.json`` from the times it writes, never from our readers;
here every recording is read with ``read_recording`` and compared with it (file windows, ULog armed
intervals, identifiers), pyulog parses our ULog writer's output, the corrupt file is refused, the
generator is byte-for-byte deterministic, devices.yaml maps each file to the device the truth names,
and the truth's sessions follow the inference rules (DESIGN §7) as a plain reference applies them.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pathspec
import pytest
from pyulog import ULog
from ruamel.yaml import YAML

from sessions_lib.errors import ReaderError
from sessions_lib.ingest import recording_paths
from sessions_lib.model.records import Recording
from sessions_lib.readers import read_recording

DATA = Path(__file__).resolve().parents[2] / "data"
TRUTH: dict[str, Any] = json.loads((DATA / "ground_truth.json").read_text(encoding="utf-8"))
FLEET = DATA / TRUTH["dataset_folder"]
DEVICES: dict[str, Any] = YAML(typ="safe").load((DATA / "devices.yaml").read_text(encoding="utf-8"))
SECOND_NS = 1_000_000_000

READABLE = sorted(path for path, facts in TRUTH["files"].items() if not facts["corrupt"])
ULOGS = sorted(path for path, facts in TRUTH["files"].items() if facts["format"] == "ulog")


def _generator() -> ModuleType:
    """``data/generate.py`` as a module (``data/`` is not a package)."""
    spec = importlib.util.spec_from_file_location("fleet_generate", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def recordings() -> dict[str, Recording]:
    return {path: read_recording(FLEET / path) for path in READABLE}


def _file_window(recording: Recording) -> tuple[int, int]:
    """DESIGN §4: min of the extents' mins, max of their maxes, in wall clock."""
    walls = [
        (lo + t.unix_epoch_offset_ns, hi + t.unix_epoch_offset_ns)
        for t in recording.topics
        for lo, hi in t.spans
    ]
    return min(lo for lo, _ in walls), max(hi for _, hi in walls)


# --- the files hold what the truth says --------------------------------------------------------------


def test_the_fleet_folder_holds_exactly_the_files_of_the_truth() -> None:
    found = sorted(path.relative_to(FLEET).as_posix() for path in recording_paths(FLEET))
    assert found == sorted(TRUTH["files"])
    size = sum(path.stat().st_size for path in FLEET.rglob("*") if path.is_file())
    assert size < 8 * 1024 * 1024, f"the fleet should stay a few MB, it is {size / 1e6:.1f} MB"


@pytest.mark.parametrize("path", READABLE)
def test_reader_window_format_and_identifiers_match_the_truth(
    path: str, recordings: dict[str, Recording]
) -> None:
    facts, recording = TRUTH["files"][path], recordings[path]
    assert recording.format == facts["format"]
    assert recording.anchored, recording.notes
    assert _file_window(recording) == (facts["window_min_timestamp_ns"], facts["window_max_timestamp_ns"])
    for key, value in facts["identifiers"].items():
        assert recording.identifiers.get(key) == value, (key, dict(recording.identifiers))


@pytest.mark.parametrize("path", READABLE)
def test_reader_armed_intervals_match_the_truth(path: str, recordings: dict[str, Recording]) -> None:
    armed = [[a.start_ns, a.end_ns] for a in recordings[path].activity if a.kind == "armed"]
    assert armed == TRUTH["files"][path]["armed"]


def test_the_two_flight_ulog_arms_twice_and_its_flights_are_closer_than_the_gap() -> None:
    (two_flights,) = [p for p in ULOGS if len(TRUTH["files"][p]["armed"]) == 2]
    (first_start, first_end), (second_start, second_end) = TRUTH["files"][two_flights]["armed"]
    gap_ns = DEVICES["device_types"]["quadcopter"]["session_gap_s"] * SECOND_NS
    assert first_start < first_end < second_start < second_end
    assert second_start - first_end < gap_ns  # only the arming can split this log


@pytest.mark.parametrize("path", TRUTH["corrupt_files"])
def test_the_corrupt_file_is_refused(path: str) -> None:
    with pytest.raises(ReaderError, match="MCAP"):
        read_recording(FLEET / path)


@pytest.mark.parametrize("path", ULOGS)
def test_pyulog_reads_our_ulog_writer_output(path: str) -> None:
    """The independent parser: same identity, same arming edges, same GPS anchor."""
    log = ULog(str(FLEET / path))
    facts = TRUTH["files"][path]
    assert not log.file_corruption
    assert log.msg_info_dict["sys_uuid"] == facts["identifiers"]["ulog.sys_uuid"]
    status = log.get_dataset("vehicle_status").data
    gps = log.get_dataset("vehicle_gps_position").data
    fixed = gps["time_utc_usec"] > 0
    offset_ns = int((gps["time_utc_usec"][fixed] - gps["timestamp"][fixed])[0]) * 1000
    armed = status["arming_state"] == 2
    edges = [i for i in range(1, armed.size) if armed[i] != armed[i - 1]]
    times_ns = [int(status["timestamp"][i]) * 1000 + offset_ns for i in edges]
    assert [list(pair) for pair in zip(times_ns[::2], times_ns[1::2], strict=True)] == facts["armed"]


# --- the generator -------------------------------------------------------------------------------


def test_generation_is_deterministic_and_matches_the_committed_truth(tmp_path: Path) -> None:
    generate = _generator().generate
    first, second = tmp_path / "first", tmp_path / "second"
    truth = generate(first)
    assert generate(second) == truth
    assert truth == TRUTH  # data/ is the generator's current output
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    assert (first / "devices.yaml").read_bytes() == (DATA / "devices.yaml").read_bytes()


# --- device metadata and the session rules -------------------------------------------------------


def _matching_devices(path: str, identifiers: dict[str, str]) -> set[str]:
    """devices.yaml's rule: a path pattern (gitignore-style) or any listed identifier equal."""
    found = set()
    for device in DEVICES["devices"]:
        match = device["match"]
        by_path = pathspec.GitIgnoreSpec.from_lines(match.get("paths", [])).match_file(path)
        by_id = any(identifiers.get(key) == value for key, value in match.get("identifiers", {}).items())
        if by_path or by_id:
            found.add(device["device_id"])
    return found


def test_devices_yaml_lists_the_fleet() -> None:
    assert DEVICES["org_id"] == TRUTH["org_id"]
    types = {d["device_id"]: d["device_type"] for d in DEVICES["devices"]}
    assert types == {"dv_falcon": "quadcopter", "dv_hawk": "quadcopter", "dv_rover1": "rover"}
    assert {t: v["session_gap_s"] for t, v in DEVICES["device_types"].items()} == TRUTH["session_gap_s"]


@pytest.mark.parametrize("path", sorted(TRUTH["files"]))
def test_devices_yaml_maps_each_file_to_the_device_of_the_truth(
    path: str, recordings: dict[str, Recording]
) -> None:
    identifiers = dict(recordings[path].identifiers) if path in recordings else {}
    expected = TRUTH["files"][path]["device_id"]
    assert _matching_devices(path, identifiers) == ({expected} if expected else set())
    assert (expected is None) == (path in TRUTH["unmatched_files"])


def _reference_sessions() -> list[tuple[tuple[str, ...], tuple[tuple[str, int | None, int | None], ...]]]:
    """DESIGN §7 applied plainly to the truth's file facts: per device, each ULog armed interval is a
    session of its own (other files overlapping it join it); the remaining windows merge while no
    more than the device type's gap apart; overlapping sessions of devices sharing a mission tag merge."""
    gaps = {name: spec["session_gap_s"] * SECOND_NS for name, spec in DEVICES["device_types"].items()}
    devices = {d["device_id"]: d for d in DEVICES["devices"]}
    sessions: list[dict[str, Any]] = []  # {"devices": set, "parts": list of (path, rmin, rmax, lo, hi)}
    for device_id, device in devices.items():
        files = {p: f for p, f in TRUTH["files"].items() if f["device_id"] == device_id and not f["corrupt"]}
        flights = [
            {"devices": {device_id}, "parts": [(p, lo, hi, lo, hi)]}
            for p, f in files.items()
            for lo, hi in f["armed"]
        ]
        loose = []
        for path, facts in sorted(files.items(), key=lambda item: item[1]["window_min_timestamp_ns"]):
            if facts["armed"]:
                continue
            lo, hi = facts["window_min_timestamp_ns"], facts["window_max_timestamp_ns"]
            joined = [s for s in flights if s["parts"][0][3] <= hi and lo <= s["parts"][0][4]]
            if joined:
                joined[0]["parts"].append((path, None, None, lo, hi))
            elif loose and lo - max(part[4] for part in loose[-1]["parts"]) <= gaps[device["device_type"]]:
                loose[-1]["parts"].append((path, None, None, lo, hi))
            else:
                loose.append({"devices": {device_id}, "parts": [(path, None, None, lo, hi)]})
        sessions += flights + loose

    def bounds(session: dict[str, Any]) -> tuple[int, int]:
        return min(p[3] for p in session["parts"]), max(p[4] for p in session["parts"])

    def tags(session: dict[str, Any]) -> set[str]:
        return {tag for d in session["devices"] for tag in devices[d]["mission_tags"]}

    merged = True
    while merged:
        merged = False
        for a, b in itertools.combinations(sessions, 2):
            (a_lo, a_hi), (b_lo, b_hi) = bounds(a), bounds(b)
            if a["devices"] != b["devices"] and tags(a) & tags(b) and a_lo <= b_hi and b_lo <= a_hi:
                a["devices"] |= b["devices"]
                a["parts"] += b["parts"]
                sessions.remove(b)
                merged = True
                break
    return sorted(
        (tuple(sorted(s["devices"])), tuple(sorted(part[:3] for part in s["parts"]))) for s in sessions
    )


def test_the_truth_follows_the_session_rules() -> None:
    truth = sorted(
        (
            tuple(s["device_ids"]),
            tuple(
                (c["relative_path"], c["range_min_timestamp_ns"], c["range_max_timestamp_ns"])
                for c in s["contributions"]
            ),
        )
        for s in TRUTH["sessions"]
    )
    assert truth == _reference_sessions()
    assert 8 <= len(truth) <= 14
    assert any(len(devices) > 1 for devices, _ in truth), "a formation flight"


def test_session_bounds_are_the_hull_of_the_contribution_windows() -> None:
    for session in TRUTH["sessions"]:
        windows = []
        for c in session["contributions"]:
            facts = TRUTH["files"][c["relative_path"]]
            if c["range_min_timestamp_ns"] is None:
                windows.append((facts["window_min_timestamp_ns"], facts["window_max_timestamp_ns"]))
            else:
                windows.append((c["range_min_timestamp_ns"], c["range_max_timestamp_ns"]))
        assert session["min_timestamp_ns"] == min(lo for lo, _ in windows)
        assert session["max_timestamp_ns"] == max(hi for _, hi in windows)
