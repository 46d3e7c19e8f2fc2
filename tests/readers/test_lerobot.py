"""LeRobot v1 datasets (Hugging Face ``datasets`` files beside ``meta_data/info.json``) are recognised
and refused with a message saying how to convert them; their other files are not recordings."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sessions_lib.errors import ReaderError
from sessions_lib.ingest import recording_paths
from sessions_lib.readers import read_recording

FRAMES = pa.table(
    {
        "observation.state": pa.array([[0.0, 1.0]] * 4, pa.list_(pa.float32(), 2)),
        "action": pa.array([[0.5, 0.5]] * 4, pa.list_(pa.float32(), 2)),
        "episode_index": pa.array([0, 0, 1, 1], pa.int64()),
        "frame_index": pa.array([0, 1, 0, 1], pa.int64()),
        "timestamp": pa.array([0.0, 0.1, 0.0, 0.1], pa.float32()),
        "index": pa.array([0, 1, 2, 3], pa.int64()),
    }
)


def write_arrow(path: Path) -> None:
    """An Arrow IPC stream, the file format of Hugging Face ``datasets``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, FRAMES.schema) as writer:
        writer.write_table(FRAMES)


def v1_dataset(root: Path, data_file: str) -> Path:
    """A LeRobot v1 folder: meta_data/, videos/ and one data file (``train/`` holds save_to_disk's
    JSON files beside its arrow file)."""
    (root / "meta_data").mkdir(parents=True)
    (root / "meta_data" / "info.json").write_text(json.dumps({"codebase_version": "v1.6", "fps": 10}))
    (root / "meta_data" / "stats.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    (root / "videos").mkdir()
    (root / "videos" / "observation.image_episode_000000.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    path = root / data_file
    if path.suffix == ".arrow":
        write_arrow(path)
    else:
        path.parent.mkdir(parents=True)
        pq.write_table(FRAMES, path)
    if path.parent.name == "train":
        (path.parent / "dataset_info.json").write_text(json.dumps({"features": {}}))
        (path.parent / "state.json").write_text(json.dumps({"_data_files": [{"filename": path.name}]}))
    return path


@pytest.mark.parametrize(
    "data_file",
    [
        "train/data-00000-of-00001.arrow",
        "data/train-00000-of-00001.arrow",
        "data/train-00000-of-00001.parquet",
    ],
)
def test_a_v1_data_file_is_refused_with_how_to_convert_it(tmp_path: Path, data_file: str):
    root = tmp_path / "pusht"
    path = v1_dataset(root, data_file)
    if path.suffix == ".arrow":  # the file is what Hugging Face datasets writes: pyarrow reads it back
        assert pa.ipc.open_stream(str(path)).read_all().equals(FRAMES)
    with pytest.raises(ReaderError) as error:
        read_recording(path)
    message = str(error.value)
    assert message.startswith(f"{path}: a LeRobot v1 dataset (Hugging Face datasets/arrow layout")
    assert str(root / "meta_data" / "info.json") in message
    assert "convert_dataset_v1_to_v2" in message and "is not read" in message
    # Only the data file is a recording: meta_data/, videos/ and the datasets JSON files are not.
    assert list(recording_paths(root)) == [path]


def test_an_arrow_file_outside_a_v1_dataset_is_of_no_known_format(tmp_path: Path):
    path = tmp_path / "train" / "data-00000-of-00001.arrow"
    write_arrow(path)
    with pytest.raises(ReaderError, match="unknown format"):
        read_recording(path)
