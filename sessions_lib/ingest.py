"""Ingest a folder as a dataset: every recording read and registered with its topics' extents.

Incremental and safe to re-run: a file whose content hash is already registered is not read
again; a changed file replaces its own partitions and extents (one transaction per file); a
file no reader can read is registered with its error and the run goes on.

>>> report = ingest_folder(Path("recordings/2026-04-23"))  # doctest: +SKIP
>>> print(report.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import ReaderError
from sessions_lib.readers import TabularOptions, lerobot, read_recording
from sessions_lib.records import DatasetRecord
from sessions_lib.registry import register_dataset, register_file, register_recording

# Files that describe a recording beside it and are read by its reader, not on their own.
SIDECAR_NAMES = frozenset({"metadata.yaml"})

# Maps a file (relative path, and the identifiers its reader found, None if it failed) to a device id.
DeviceResolver = Callable[[str, Mapping[str, str] | None], str | None]


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one ingestion run did, by relative path."""

    dataset_id: str
    registered: tuple[str, ...]  # new or changed, read and registered
    unchanged: tuple[str, ...]  # same content hash as registered: not read again
    failed: tuple[tuple[str, str], ...]  # (relative path, error), registered with the error

    def summary(self) -> str:
        lines = [
            f"dataset {self.dataset_id}: {len(self.registered)} registered, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed"
        ]
        lines += [f"  failed {path}: {error}" for path, error in self.failed]
        return "\n".join(lines)


def ingest_folder(
    folder: Path,
    *,
    dataset_name: str | None = None,
    tabular: TabularOptions | None = None,
    device_for: DeviceResolver | None = None,
    show_progress: bool = False,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> IngestReport:
    """Read every recording under ``folder`` into the dataset whose root is that folder."""
    client = resolve_client(roboto_client)
    folder = folder.resolve()
    if not folder.is_dir():
        raise ReaderError(f"{folder}: not a folder")
    dataset = _dataset_for(folder, dataset_name, org_id, client)
    known_hashes = dict(
        client.catalog.transaction(
            lambda tx: tx.rows(
                "SELECT relative_path, content_hash FROM files "
                "WHERE org_id = $org_id AND dataset_id = $dataset_id",
                org_id=dataset.org_id,
                dataset_id=dataset.dataset_id,
            )
        )
    )
    paths = sorted(recording_paths(folder))
    registered, unchanged, failed = [], [], []
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task(f"ingesting {folder.name}", total=len(paths))
        for path in paths:
            relative = path.relative_to(folder).as_posix()
            content_hash = file_hash(path)
            progress.advance(task)
            if known_hashes.get(relative) == content_hash:
                unchanged.append(relative)
                continue
            file_fields = dict(
                uri=path.as_uri(),
                size_bytes=path.stat().st_size,
                content_hash=content_hash,
                org_id=dataset.org_id,
                roboto_client=client,
            )
            try:
                recording = read_recording(path, tabular)
            except ReaderError as error:
                device_id = device_for(relative, None) if device_for else None
                register_file(
                    dataset.dataset_id, relative, ingest_error=str(error), device_id=device_id, **file_fields
                )
                failed.append((relative, str(error)))
                continue
            device_id = device_for(relative, recording.identifiers) if device_for else None
            register_recording(dataset.dataset_id, relative, recording, device_id=device_id, **file_fields)
            registered.append(relative)
    return IngestReport(dataset.dataset_id, tuple(registered), tuple(unchanged), tuple(failed))


def recording_paths(folder: Path) -> Iterator[Path]:
    """Every regular file under ``folder`` except hidden ones and sidecars read with their recording
    (a ROS 2 bag's ``metadata.yaml``; a LeRobot dataset's ``meta/`` and ``videos/``)."""
    for path in folder.rglob("*"):
        relative_parts = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative_parts) or path.name in SIDECAR_NAMES:
            continue
        if not path.is_file() or (lerobot.dataset_root(path) is not None and not lerobot.is_data_file(path)):
            continue
        yield path


def file_hash(path: Path) -> str:
    """BLAKE2b of the file's bytes, read in 1 MiB blocks."""
    digest = hashlib.blake2b(digest_size=20)
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return f"blake2b:{digest.hexdigest()}"


def _dataset_for(folder: Path, name: str | None, org_id: str | None, client: Client) -> DatasetRecord:
    org = client.resolve_org(org_id, "org_id")
    found = client.catalog.transaction(
        lambda tx: tx.records(
            DatasetRecord,
            "SELECT * FROM datasets WHERE org_id = $org_id AND root_path = $root ORDER BY created LIMIT 1",
            org_id=org,
            root=str(folder),
        )
    )
    if found:
        return found[0]
    return register_dataset(name or folder.name, root_path=str(folder), org_id=org, roboto_client=client)
