"""LeRobot datasets: each episode is a slice (a row range) of a data file.

A LeRobot dataset is a folder with ``meta/info.json``. Its data files (``data/chunk-*/file-*.parquet``
in the v3 layout, ``data/chunk-*/episode_*.parquet`` in v2) hold the frames of one or more
episodes, with ``timestamp`` in float seconds restarting at 0 for each episode. Reading a data
file gives, for every feature (``observation.state``, ``action``, ...), one slice per episode:
``partition="episode_index=K"``, its rows ``[start, end)`` and its span.

Time: the stored times stay episode-relative, as the file carries them. Each episode's
``unix_epoch_offset_ns`` places it on the dataset's own continuous timeline, at its first global
frame ``index / fps``, so episodes follow each other instead of all starting at 0. That timeline
is not Unix epoch (the dataset states no start time): the recording is unanchored.

Where ``info.json`` and the data disagree (fps, features, total episodes and frames, episode
lengths in ``meta/episodes``) the data wins and a note says what disagreed.

LeRobot v1 datasets (``meta_data/info.json``, frames in Hugging Face ``datasets`` arrow or parquet
files under ``data/`` or ``train/``) are recognised but not read: their data files raise a
``ReaderError`` saying how to convert the dataset to v2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import ActivityInterval, RecordedTopic, Recording
from sessions_lib.readers.messages import TIMESTAMP_COLUMN, TopicSlice
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.spans import split_at_gaps
from sessions_lib.readers.units import NS_PER_S

INFO = Path("meta") / "info.json"
# LeRobot v1 (codebase v1.x): Hugging Face `datasets` files beside meta_data/ and videos/.
V1_INFO = Path("meta_data") / "info.json"
V1_DATA_FOLDERS = frozenset({"data", "train"})  # as pushed to the Hub; as saved by save_to_disk
V1_DATA_SUFFIXES = frozenset({".arrow", ".parquet"})
V1_CONVERSION = "lerobot/common/datasets/v2/convert_dataset_v1_to_v2.py"
EPISODES = Path("meta") / "episodes"  # v3: parquet files, one row per episode
EPISODES_JSONL = Path("meta") / "episodes.jsonl"  # v2: one JSON object per episode
# A frame's time in its episode's own clock, nanoseconds: how spans are stored and data is read.
EPISODE_TIME_NS = (pl.col("timestamp").cast(pl.Float64) * NS_PER_S).round().cast(pl.Int64)
# Columns that index frames rather than carry data.
BOOKKEEPING = frozenset({"timestamp", "frame_index", "episode_index", "index", "task_index"})


def dataset_root(path: Path) -> Path | None:
    """The LeRobot dataset folder holding ``path`` (a folder with ``meta/info.json``, or v1's
    ``meta_data/info.json``), if any."""
    for folder in path.parents:
        if (folder / INFO).is_file() or (folder / V1_INFO).is_file():
            return folder
    return None


def is_v1(root: Path) -> bool:
    """Whether the dataset at ``root`` (see :func:`dataset_root`) has the LeRobot v1 layout."""
    return not (root / INFO).is_file()


def is_data_file(path: Path) -> bool:
    """Whether ``path`` is a data file of a LeRobot dataset (read, or for v1 refused, by this module)."""
    root = dataset_root(path)
    if root is None:
        return False
    top = path.relative_to(root).parts[0]
    if is_v1(root):
        return top in V1_DATA_FOLDERS and path.suffix in V1_DATA_SUFFIXES
    return top == "data" and path.suffix == ".parquet"


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """Read one data file of a LeRobot dataset into per-episode topic slices."""
    root = dataset_root(path)
    if root is None:
        raise ReaderError(f"{path}: not inside a LeRobot dataset (no {INFO} in any parent folder)")
    if is_v1(root):
        raise ReaderError(
            f"{path}: a LeRobot v1 dataset (Hugging Face datasets/arrow layout, {root / V1_INFO}), which "
            f"is not read: only v2 and v3 datasets ({INFO}) are. Convert it with LeRobot's own v1 -> v2 "
            f"script, {V1_CONVERSION} (convert_dataset_v1_to_v2), and ingest the converted dataset"
        )
    info = _info(root)
    try:
        frame = pl.read_parquet(path).with_row_index("row").select(pl.exclude(_video_columns(info)))
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError) as error:
        raise ReaderError(f"{path}: not a readable LeRobot data file: {error}") from None
    missing = [c for c in ("timestamp", "episode_index", "index") if c not in frame.columns]
    if missing:
        raise ReaderError(f"{path}: LeRobot data file lacks column(s) {missing}")

    notes: list[str] = []
    fps = _fps(frame, info, notes)
    features = _features(frame, info, notes)
    episodes = (
        frame.group_by("episode_index", maintain_order=True)
        .agg(
            pl.col("row").min().alias("row_start"),
            (pl.col("row").max() + 1).alias("row_end"),
            pl.len().alias("frames"),
            pl.col("index").min().alias("first_index"),
            EPISODE_TIME_NS.alias("times_ns"),
        )
        .sort("episode_index")
    )
    topics: list[RecordedTopic] = []
    activity: list[ActivityInterval] = []
    for episode in episodes.iter_rows(named=True):
        if episode["row_end"] - episode["row_start"] != episode["frames"]:
            notes.append(f"episode {episode['episode_index']}: its rows are not contiguous")
        offset_ns = round(episode["first_index"] / fps * NS_PER_S)
        spans = split_at_gaps(np.asarray(episode["times_ns"]))
        activity.append(ActivityInterval("episode", spans[0][0] + offset_ns, spans[-1][1] + offset_ns))
        topics.extend(
            RecordedTopic(
                feature,
                spans=spans,
                unix_epoch_offset_ns=offset_ns,
                message_count=episode["frames"],
                schema_name=schema,
                schema_encoding="lerobot",
                partition=f"episode_index={episode['episode_index']}",
                row_range=(episode["row_start"], episode["row_end"]),
            )
            for feature, schema in features.items()
        )
    _check_totals(frame, episodes, info, notes)
    _check_episode_lengths(root, episodes, notes)
    identifiers = {
        f"lerobot.{key}": str(info[key])
        for key in ("robot_type", "codebase_version")
        if info.get(key) is not None
    }
    return Recording(
        "lerobot",
        tuple(topics),
        index_used="scan",
        anchored=False,
        identifiers=identifiers,
        activity=tuple(activity),
        notes=("unanchored: episodes placed on the dataset's own timeline (index / fps)", *notes),
    )


def messages(slice_: TopicSlice) -> Iterator[pa.RecordBatch]:
    """One episode's frames of one feature: the slice's rows ``[start, end)`` of the data file, in
    its window of the episode's clock; ``timestamp_ns`` as spans store it, then the feature's column.
    Only the row groups holding those rows are read."""
    path, topic = Path(slice_.path), slice_.topic
    if slice_.row_range is None:
        raise ReaderError(
            f"{path}: topic {topic!r}: a LeRobot data file holds one slice per episode; name the "
            "episode's rows (row_range)"
        )
    start, end = slice_.row_range
    try:
        frame = pl.scan_parquet(path)
        columns = frame.collect_schema()
        if topic not in columns or topic in BOOKKEEPING:
            raise ReaderError(f"{path}: no feature {topic!r} in the LeRobot data file")
        rows = frame.slice(start, max(0, end - start)).select(
            EPISODE_TIME_NS.alias(TIMESTAMP_COLUMN), *([pl.col(topic)] if slice_.wants(topic) else [])
        )
        if slice_.start_ns is not None:
            rows = rows.filter(pl.col(TIMESTAMP_COLUMN) >= slice_.start_ns)
        if slice_.end_ns is not None:
            rows = rows.filter(pl.col(TIMESTAMP_COLUMN) <= slice_.end_ns)
        table = rows.collect().to_arrow()
    except ReaderError:
        raise
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError) as error:
        raise ReaderError(f"{path}: topic {topic!r}: not a readable LeRobot data file: {error}") from None
    yield from table.to_batches()


READER = Reader("lerobot", read, in_folder=is_data_file, messages=messages)


def _info(root: Path) -> dict:
    try:
        info = json.loads((root / INFO).read_text())
    except (OSError, ValueError) as error:
        raise ReaderError(f"{root / INFO}: not readable JSON: {error}") from None
    if not isinstance(info, dict):
        raise ReaderError(f"{root / INFO}: expected a JSON object")
    return info


def _video_columns(info: dict) -> list[str]:
    features = info.get("features") or {}
    return [
        name for name, spec in features.items() if isinstance(spec, dict) and spec.get("dtype") == "video"
    ]


def _fps(frame: pl.DataFrame, info: dict, notes: list[str]) -> float:
    """Frames per second as the data shows it (median step within episodes), else info.json's."""
    steps = (
        frame.select(pl.col("timestamp").cast(pl.Float64).diff().over("episode_index").alias("step"))
        .drop_nulls()
        .filter(pl.col("step") > 0)
    )
    stated = info.get("fps")
    if steps.height == 0:
        if not isinstance(stated, int | float) or stated <= 0:
            raise ReaderError("LeRobot dataset states no usable fps and its data has no frame steps")
        return float(stated)
    # float32 timestamps carry ~1e-6 relative noise: a rate to the millihertz is what they tell.
    measured = round(1.0 / float(steps.get_column("step").median()), 3)  # type: ignore[arg-type]
    if isinstance(stated, int | float) and stated > 0 and abs(measured - stated) / stated < 0.01:
        return float(stated)
    notes.append(f"info.json fps {stated!r} disagrees with the data ({measured:.3f} fps): using the data's")
    return measured


def _features(frame: pl.DataFrame, info: dict, notes: list[str]) -> dict[str, str]:
    """Feature name -> schema text, for the data columns that carry data."""
    stated = {name: spec for name, spec in (info.get("features") or {}).items() if isinstance(spec, dict)}
    present = [c for c in frame.columns if c not in BOOKKEEPING and c != "row"]
    for name in sorted(set(stated) - set(present) - set(_video_columns(info)) - BOOKKEEPING):
        notes.append(f"info.json feature {name!r} has no column in the data: skipped")
    for name in sorted(set(present) - set(stated)):
        notes.append(f"data column {name!r} is not a feature in info.json: read anyway")
    schemas = {}
    for name in present:
        spec = stated.get(name, {})
        schemas[name] = f"{spec.get('dtype', frame.schema[name])}{spec.get('shape', '')}"
    return schemas


def _check_totals(frame: pl.DataFrame, episodes: pl.DataFrame, info: dict, notes: list[str]) -> None:
    """Compare ``total_episodes`` and ``total_frames`` of info.json with what this file shows.

    Episode indices and the frame ``index`` count from 0 across the whole dataset, so one file shows
    that there are at least (its highest + 1) of each; a file holding episodes 0 .. total_episodes - 1
    holds the whole dataset, so its rows are every frame.
    """
    stated_episodes, stated_frames = info.get("total_episodes"), info.get("total_frames")
    last_episode: int = episodes.select(pl.max("episode_index")).item()
    last_frame: int = frame.select(pl.max("index")).item()
    if isinstance(stated_episodes, int) and stated_episodes <= last_episode:
        notes.append(
            f"info.json total_episodes {stated_episodes} disagrees with the data: it holds episode "
            f"{last_episode}, so at least {last_episode + 1} episodes"
        )
    if not isinstance(stated_frames, int):
        return
    holds_all = (
        episodes["episode_index"].min() == 0 and episodes.height == last_episode + 1 == stated_episodes
    )
    if holds_all and frame.height != stated_frames:
        notes.append(
            f"info.json total_frames {stated_frames} disagrees with the data: its {episodes.height} "
            f"episodes hold {frame.height} frames"
        )
    elif stated_frames <= last_frame:
        notes.append(
            f"info.json total_frames {stated_frames} disagrees with the data: it holds frame index "
            f"{last_frame}, so at least {last_frame + 1} frames"
        )


def _check_episode_lengths(root: Path, episodes: pl.DataFrame, notes: list[str]) -> None:
    """Compare the data's frames per episode with the ``length`` that ``meta/episodes`` (v3) or
    ``meta/episodes.jsonl`` (v2) states, where present."""
    files = sorted((root / EPISODES).rglob("*.parquet"))
    where = EPISODES if files else EPISODES_JSONL
    if not files and not (root / EPISODES_JSONL).is_file():
        return
    try:
        if files:
            stated = pl.concat([pl.read_parquet(f, columns=["episode_index", "length"]) for f in files])
        else:
            stated = pl.read_ndjson(root / EPISODES_JSONL).select("episode_index", "length")
        stated = stated.cast({"episode_index": episodes.schema["episode_index"], "length": pl.Int64})
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError):
        notes.append(f"{where.as_posix()} is unreadable: episode lengths not cross-checked")
        return
    compared = episodes.join(stated, on="episode_index", how="left")
    differ = pl.col("length").is_null() | (pl.col("length") != pl.col("frames"))
    for row in compared.filter(differ).iter_rows(named=True):
        says = "does not list it" if row["length"] is None else f"says {row['length']} frames"
        notes.append(
            f"episode {row['episode_index']}: {where.as_posix()} {says}, the data has {row['frames']}"
        )
