"""LeRobot datasets: one slice per episode of a shared data file, checked against the data itself."""

import itertools
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from sessions_lib import Client, File
from sessions_lib.errors import ReaderError
from sessions_lib.ingest import ingest_folder
from sessions_lib.readers import lerobot, read_recording

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "lerobot" / "so101_pick_place_v30"
DATA = Path("data") / "chunk-000" / "file-000.parquet"
NS = 1_000_000_000


def oracle(data_file: Path) -> dict[int, tuple[int, int, int, int, int]]:
    """Per episode, straight from the rows: (first row, end row, frames, min ns, max ns)."""
    frame = pl.read_parquet(data_file).with_row_index("row")
    result = {}
    for (episode,), rows in frame.group_by("episode_index"):
        times = [round(float(t) * NS) for t in rows.get_column("timestamp")]
        result[episode] = (rows["row"].min(), rows["row"].max() + 1, rows.height, min(times), max(times))
    return result


def test_real_v3_dataset_against_its_rows():
    recording = read_recording(REAL / DATA)
    assert recording.format == "lerobot" and not recording.anchored
    assert recording.identifiers["lerobot.robot_type"] == "so101_follower"
    expected = oracle(REAL / DATA)
    assert len(expected) == 6
    for name in ("observation.state", "action"):
        slices = {t.partition: t for t in recording.topics if t.name == name}
        assert set(slices) == {f"episode_index={e}" for e in expected}
        for episode, (start, end, frames, low, high) in expected.items():
            topic = slices[f"episode_index={episode}"]
            assert topic.row_range == (start, end) and topic.message_count == frames
            assert topic.spans == ((low, high),)
    assert {t.name for t in recording.topics} == {"observation.state", "action"}  # video is not in data/


def test_episodes_follow_each_other_on_the_dataset_timeline():
    recording = read_recording(REAL / DATA)
    episodes = sorted((a.start_ns, a.end_ns) for a in recording.activity if a.kind == "episode")
    assert len(episodes) == 6
    assert all(prev_end < next_start for (_, prev_end), (next_start, _) in itertools.pairwise(episodes))
    # Episode 1 starts at global frame 383 of a 30 fps dataset.
    assert episodes[1][0] == round(383 / 30 * NS)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "so101"
    shutil.copytree(REAL, root)
    return root


def test_the_data_wins_over_a_wrong_info_json(copy: Path):
    info = json.loads((copy / "meta" / "info.json").read_text())
    info["fps"] = 10
    info["features"]["gripper.torque"] = {"dtype": "float32", "shape": [1]}
    del info["features"]["action"]
    (copy / "meta" / "info.json").write_text(json.dumps(info))
    recording = read_recording(copy / DATA)
    notes = " | ".join(recording.notes)
    assert "fps 10 disagrees with the data (30.000 fps)" in notes
    assert "'gripper.torque' has no column in the data" in notes
    assert "data column 'action' is not a feature in info.json" in notes
    assert {t.name for t in recording.topics} == {"observation.state", "action"}
    episodes = sorted(a.start_ns for a in recording.activity)
    assert episodes[1] == round(383 / 30 * NS)


def edit_info(root: Path, **changes: object) -> None:
    info = json.loads((root / "meta" / "info.json").read_text())
    (root / "meta" / "info.json").write_text(json.dumps(info | changes))


def frames_by_episode(data_file: Path) -> dict[int, int]:
    return {e: frames for e, (_, _, frames, _, _) in oracle(data_file).items()}


def slice_counts(recording, feature: str = "action") -> dict[int, int]:
    """The frames per episode the reader registered: the data's, whatever info.json says."""
    return {
        int(t.partition.removeprefix("episode_index=")): t.message_count
        for t in recording.topics
        if t.name == feature
    }


def test_totals_of_info_json_that_the_whole_data_file_contradicts(copy: Path):
    edit_info(copy, total_frames=2000, fps=10)
    recording = read_recording(copy / DATA)
    expected = frames_by_episode(copy / DATA)
    rows = pl.read_parquet(copy / DATA).height
    assert f"info.json total_frames 2000 disagrees with the data: its 6 episodes hold {rows} frames" in (
        recording.notes
    )
    assert not any("total_episodes" in note for note in recording.notes)
    assert any(note.startswith("info.json fps 10 disagrees") for note in recording.notes)
    assert slice_counts(recording) == expected and sum(expected.values()) == rows == 1782


def test_totals_of_info_json_below_what_the_data_holds(copy: Path):
    edit_info(copy, total_episodes=4, total_frames=1000)
    recording = read_recording(copy / DATA)
    frame = pl.read_parquet(copy / DATA)
    last_episode, last_frame = frame["episode_index"].max(), frame["index"].max()
    notes = recording.notes
    assert (
        f"info.json total_episodes 4 disagrees with the data: it holds episode {last_episode}, "
        f"so at least {last_episode + 1} episodes"
    ) in notes
    assert (
        f"info.json total_frames 1000 disagrees with the data: it holds frame index {last_frame}, "
        f"so at least {last_frame + 1} frames"
    ) in notes
    assert slice_counts(recording) == frames_by_episode(copy / DATA)


def test_info_json_that_agrees_with_the_data_gives_no_notes():
    assert read_recording(REAL / DATA).notes == (
        "unanchored: episodes placed on the dataset's own timeline (index / fps)",
    )


def test_v3_episode_lengths_that_disagree_with_the_data_are_noted(copy: Path):
    episodes_file = copy / "meta" / "episodes" / "chunk-000" / "file-000.parquet"
    stated = pl.read_parquet(episodes_file)
    stated = stated.filter(pl.col("episode_index") != 5).with_columns(
        pl.when(pl.col("episode_index") == 2).then(400).otherwise(pl.col("length")).alias("length")
    )
    stated.write_parquet(episodes_file)
    recording = read_recording(copy / DATA)
    expected = frames_by_episode(copy / DATA)
    notes = [note for note in recording.notes if note.startswith("episode ")]
    assert notes == [
        f"episode 2: meta/episodes says 400 frames, the data has {expected[2]}",
        f"episode 5: meta/episodes does not list it, the data has {expected[5]}",
    ]
    assert slice_counts(recording) == expected


def test_v2_episode_lengths_in_episodes_jsonl_that_disagree_with_the_data_are_noted(copy: Path):
    frame = pl.read_parquet(copy / DATA)
    expected = frames_by_episode(copy / DATA)
    shutil.rmtree(copy / "data")
    shutil.rmtree(copy / "meta" / "episodes")
    (copy / "data" / "chunk-000").mkdir(parents=True)
    for (episode,), rows in frame.group_by("episode_index"):
        rows.write_parquet(copy / "data" / "chunk-000" / f"episode_{episode:06d}.parquet")
    lengths = expected | {3: 999}
    (copy / "meta" / "episodes.jsonl").write_text(
        "".join(
            json.dumps({"episode_index": e, "tasks": ["pick and place"], "length": n}) + "\n"
            for e, n in lengths.items()
        )
    )
    edit_info(copy, codebase_version="v2.1")
    recording = read_recording(copy / "data" / "chunk-000" / "episode_000003.parquet")
    assert [note for note in recording.notes if note.startswith("episode ")] == [
        f"episode 3: meta/episodes.jsonl says 999 frames, the data has {expected[3]}"
    ]
    assert slice_counts(recording) == {3: expected[3]}
    agreeing = read_recording(copy / "data" / "chunk-000" / "episode_000002.parquet")
    assert not [note for note in agreeing.notes if note.startswith("episode ")]


def test_v2_layout_one_file_per_episode(copy: Path):
    frame = pl.read_parquet(copy / DATA)
    shutil.rmtree(copy / "data")
    (copy / "data" / "chunk-000").mkdir(parents=True)
    for (episode,), rows in frame.group_by("episode_index"):
        rows.write_parquet(copy / "data" / "chunk-000" / f"episode_{episode:06d}.parquet")
    recording = read_recording(copy / "data" / "chunk-000" / "episode_000004.parquet")
    assert {t.partition for t in recording.topics} == {"episode_index=4"}
    assert recording.topics[0].row_range == (0, 90)


@pytest.mark.fresh_catalog  # reads the files of every org
def test_ingesting_a_dataset_folder_registers_only_its_data_files(client: Client, copy: Path):
    report = ingest_folder(copy, roboto_client=client)
    assert report.registered == (DATA.as_posix(),) and report.failed == ()
    (file_id,) = client.catalog.transaction(lambda tx: [r[0] for r in tx.rows("SELECT file_id FROM files")])
    slices = list(File.from_id(file_id, roboto_client=client).list_topics())
    assert len(slices) == 12
    assert [(t.name, t.partition_key) for t in slices[:2]] == [
        ("action", "episode_index=0"),
        ("action", "episode_index=1"),
    ]
    assert slices[1].row_start == 383 and slices[1].wall_spans[0][0] == round(383 / 30 * NS)


def test_not_a_lerobot_file(tmp_path: Path):
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    assert not lerobot.is_data_file(tmp_path / "x.parquet")
    with pytest.raises(ReaderError, match="not inside a LeRobot dataset"):
        lerobot.read(tmp_path / "x.parquet")


def test_corrupt_data_file_is_a_reader_error(copy: Path):
    (copy / DATA).write_bytes((copy / DATA).read_bytes()[:500])
    with pytest.raises(ReaderError, match="not a readable LeRobot data file"):
        read_recording(copy / DATA)
