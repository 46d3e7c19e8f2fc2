"""Ingest a folder as a dataset: every recording read and registered with its topics' extents.

Incremental and safe to re-run. A file is read again only when its content may have changed:
its size, modification time or fingerprint (a digest of its size and its first and last MiB,
where MCAP, bag and ULog files keep their headers and summaries) differ from what is registered,
so re-ingesting an unchanged folder reads at most 2 MiB of each file. ``verify=True`` compares
a full content hash instead (every byte read). A changed file replaces its own partitions and
extents; a file no reader can read is registered with its error and the run goes on.

Registrations are written in transactions of up to ``files_per_transaction`` files (and
``EXTENTS_PER_TRANSACTION`` extents), each a few set-based statements whatever its size: a batch
lands whole or not at all, and a run killed halfway keeps the batches it committed.

Any file name is ingested (see :func:`stored_text`): one that is not valid UTF-8 is registered
under a text form of its name, and the run goes on.

The work splits into :class:`FileBatch` es, plain data that can be read in other processes or on
other machines at once (the Dagster pipeline maps one step over each): every file belongs to one
batch, so concurrent batches lose and duplicate nothing.

>>> report = ingest_folder(Path("recordings/2026-04-23"))  # doctest: +SKIP
>>> print(report.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import AlreadyExistsError, InvalidRequestError, ReaderError
from sessions_lib.model import ids
from sessions_lib.model.records import DatasetRecord, Recording
from sessions_lib.model.requests import FILES_PER_TRANSACTION, ContentStamp, FileRegistration
from sessions_lib.model.validation import stored_text, validate_name
from sessions_lib.readers import ReadOptions, TabularOptions, lerobot, read_recording
from sessions_lib.readers.tabular import TABLE_FORMATS
from sessions_lib.store import datasets, files

# Bytes read at each end of a file for its fingerprint.
FINGERPRINT_REGION_BYTES = 1 << 20

# Files that describe a recording beside it and are read by its reader, not on their own.
SIDECAR_NAMES = frozenset({"metadata.yaml"})
# What SQLite keeps beside a database (a ROS 2 .db3) while a writer has it open: part of it, not
# recordings of their own.
SQLITE_SIDECAR_SUFFIXES = ("-wal", "-shm", "-journal")

# Bytes of a file name that are not UTF-8 are stored as this escape of their value (``\xff``).
ESCAPED_NAME_NOTE = (
    "file name is not valid UTF-8: stored with its undecodable bytes as \\xNN; the uri holds the exact name"
)
# Why the second of two files whose names are stored alike is left out of the catalog.
NAME_CLASH = (
    "not registered: another file's name, its undecodable bytes written as \\xNN, is stored as this "
    "path; rename one of them"
)

# Maps a file (relative path, and the identifiers its reader found, None if it failed) to a device id.
DeviceResolver = Callable[[str, Mapping[str, str] | None], str | None]


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one ingestion run (a folder or a batch of it) did, by relative path."""

    dataset_id: str
    folder: str  # the dataset's root folder
    registered: tuple[str, ...]  # new or changed, read and registered
    unchanged: tuple[str, ...]  # same size, modification time and fingerprint: not read again
    # (relative path, error): registered with the error, read this run or still failing unchanged
    failed: tuple[tuple[str, str], ...]

    def summary(self) -> str:
        lines = [
            f"dataset {self.dataset_id} ({Path(self.folder).name}): {len(self.registered)} registered, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed"
        ]
        lines += [printable(f"  failed {path}: {error}") for path, error in self.failed]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class FileBatch:
    """Recordings of one dataset to read and register together: the unit of parallel ingestion.

    Plain data (ids and paths, no client), so it can be handed to another process or machine.
    """

    dataset_id: str
    org_id: str
    folder: str  # the dataset's root folder, absolute
    relative_paths: tuple[str, ...]  # sorted


def ingest_folder(
    folder: Path,
    *,
    dataset_name: str | None = None,
    tabular: TabularOptions | None = None,
    device_for: DeviceResolver | None = None,
    verify: bool = False,
    files_per_transaction: int = FILES_PER_TRANSACTION,
    show_progress: bool = False,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> IngestReport:
    """Read every new or changed recording under ``folder`` into the dataset whose root is that
    folder; ``verify`` decides "unchanged" by a full content hash."""
    client = resolve_client(roboto_client)
    dataset = dataset_for_folder(folder, name=dataset_name, org_id=org_id, roboto_client=client)
    (batch,) = plan_batches(dataset, folder)
    return ingest_batch(
        batch,
        tabular=tabular,
        device_for=device_for,
        verify=verify,
        files_per_transaction=files_per_transaction,
        show_progress=show_progress,
        roboto_client=client,
    )


def dataset_for_folder(
    folder: Path,
    *,
    name: str | None = None,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> DatasetRecord:
    """The dataset whose root is ``folder``, registered on first use.

    A new dataset's id derives from its org and root, so processes that register the same folder
    at once end up with one dataset.
    """
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    root = str(_existing_folder(folder))
    if stored_text(root) != root:
        raise InvalidRequestError(
            f"dataset folder {stored_text(root)!r} is not valid UTF-8: a dataset's root is stored "
            "as text; rename it"
        )
    found = client.catalog.read(lambda tx: datasets.dataset_with_root(tx, org, root))
    if found is not None:
        return found
    dataset_name = name or Path(root).name
    validate_name("dataset", dataset_name, required=True)
    record = DatasetRecord(
        dataset_id=ids.stable_id(ids.DATASET, org, root),
        org_id=org,
        name=dataset_name,
        root_path=root,
        created=client.now(),
        created_by=client.user,
    )
    try:
        client.catalog.transaction(lambda tx: datasets.insert_dataset(tx, record))
        return record
    except AlreadyExistsError:  # another process registered it since we looked
        registered = client.catalog.read(lambda tx: datasets.dataset_with_root(tx, org, root))
        assert registered is not None  # the conflicting insert committed this root
        return registered


def plan_batches(dataset: DatasetRecord, folder: Path, files_per_batch: int | None = None) -> list[FileBatch]:
    """The recordings under ``folder`` dealt into batches of at most ``files_per_batch`` (``None``:
    one batch); always at least one batch, possibly empty.

    Files are dealt largest first, back and forth across the batches, so batches get about as many
    files and as many bytes each: parallel steps then take about as long.
    """
    if files_per_batch is not None and files_per_batch < 1:
        raise InvalidRequestError(f"files_per_batch must be at least 1, got {files_per_batch}")
    root = _existing_folder(folder)
    by_size = sorted(recording_paths(root), key=lambda p: (-p.stat().st_size, p))
    count = max(1, math.ceil(len(by_size) / files_per_batch)) if files_per_batch else 1
    dealt: list[list[str]] = [[] for _ in range(count)]
    for index, path in enumerate(by_size):
        turn, position = divmod(index, count)
        dealt[position if turn % 2 == 0 else count - 1 - position].append(path.relative_to(root).as_posix())
    return [FileBatch(dataset.dataset_id, dataset.org_id, str(root), tuple(sorted(paths))) for paths in dealt]


def ingest_batch(
    batch: FileBatch,
    *,
    tabular: TabularOptions | None = None,
    device_for: DeviceResolver | None = None,
    verify: bool = False,
    files_per_transaction: int = FILES_PER_TRANSACTION,
    show_progress: bool = False,
    roboto_client: Client | None = None,
) -> IngestReport:
    """Read and register the files of ``batch``: new or changed ones read, unreadable ones recorded."""
    from rich.progress import Progress  # drawn only with show_progress; not needed to import ingest

    client = resolve_client(roboto_client)
    root = Path(batch.folder)
    keys = [(batch.dataset_id, stored_text(relative)) for relative in batch.relative_paths]
    stored = client.catalog.read(lambda tx: files.held_at_paths(tx, batch.org_id, keys))
    unchanged: list[str] = []
    still_failing: list[tuple[str, str]] = []
    named: set[str] = set()

    def changed_files(advance: Callable[[], None]) -> Iterator[FileRegistration]:
        for on_disk in batch.relative_paths:
            path, relative = root / on_disk, stored_text(on_disk)
            advance()
            if relative in named:  # a valid name spelled as another's escaped one: one row per path
                still_failing.append((relative, f"{os.fsencode(path)!r}: {NAME_CLASH}"))
                continue
            named.add(relative)
            try:
                stamp = stamp_file(path, verify=verify)
            except OSError as error:  # gone since the folder was listed, or not ours to read
                device = device_for(relative, None) if device_for else None
                unreadable = stored_text(f"{path}: cannot read: {error}")
                yield FileRegistration(batch.dataset_id, relative, ingest_error=unreadable, device_id=device)
                continue
            held = stored.get((batch.dataset_id, relative))
            if held is not None and stamp.matches(held.stamp):
                if held.ingest_error is None:
                    unchanged.append(relative)
                else:  # not read again, and still what it was: a failure to look at
                    still_failing.append((relative, held.ingest_error))
            else:
                yield _read_file(batch.dataset_id, path, relative, stamp, tabular, device_for)

    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task(f"ingesting {root.name}", total=len(batch.relative_paths))
        written = files.write_registrations(
            client,
            batch.org_id,
            changed_files(lambda: progress.advance(task)),
            files_per_transaction=files_per_transaction,
        )
        registered = [r.relative_path for r in written if r.ingest_error is None]
        failed = [(r.relative_path, r.ingest_error) for r in written if r.ingest_error is not None]
        failed = sorted(failed + still_failing)
    return IngestReport(batch.dataset_id, batch.folder, tuple(registered), tuple(unchanged), tuple(failed))


def _read_file(
    dataset_id: str,
    path: Path,
    relative: str,
    stamp: ContentStamp,
    tabular: TabularOptions | None,
    device_for: DeviceResolver | None,
) -> FileRegistration:
    """The registration of one recording as its reader finds it, or with the reader's error; stored
    as ``relative`` (the path's :func:`stored_text`), with a note when that is not its exact name."""
    fields: dict[str, Any] = dict(
        uri=path.as_uri(),  # percent-encodes the name's bytes: exact whatever they are
        size_bytes=stamp.size_bytes,
        mtime_ns=stamp.mtime_ns,
        fingerprint=stamp.fingerprint,
        content_hash=stamp.content_hash,
    )
    try:
        recording = _stored_recording(read_recording(path, tabular))
        if tabular is not None and recording.format in TABLE_FORMATS:  # kept: its data is read alike
            fields["read_options"] = ReadOptions(tabular=tabular).as_json()
        if stored_text(str(path)) != str(path):
            recording = dataclasses.replace(recording, notes=(*recording.notes, ESCAPED_NAME_NOTE))
        device_id = device_for(relative, recording.identifiers) if device_for else None
        return FileRegistration.from_recording(dataset_id, relative, recording, device_id=device_id, **fields)
    except (ReaderError, InvalidRequestError) as error:  # unreadable, or read into what cannot be stored
        device_id = device_for(relative, None) if device_for else None
        error_text = stored_text(str(error))
        return FileRegistration(dataset_id, relative, ingest_error=error_text, device_id=device_id, **fields)


def printable(text: str) -> str:
    """``text`` with control characters (a newline in a file name, an escape sequence) written as
    Python escapes, so a report line stays one line and prints only what it says.

    >>> printable("a\\nb\\x1b[31m")
    'a\\\\nb\\\\x1b[31m'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _stored_recording(recording: Recording) -> Recording:
    """The recording with its texts :func:`stored_text`: a reader may name a topic after the file
    (a table's stem) or quote its path in a note."""
    topics = tuple(
        dataclasses.replace(
            topic,
            name=stored_text(topic.name),
            schema_name=None if topic.schema_name is None else stored_text(topic.schema_name),
        )
        for topic in recording.topics
    )
    return dataclasses.replace(
        recording,
        topics=topics,
        notes=tuple(stored_text(note) for note in recording.notes),
        identifiers={stored_text(k): stored_text(v) for k, v in recording.identifiers.items()},
    )


def recording_paths(folder: Path) -> Iterator[Path]:
    """Every regular file under ``folder`` except hidden ones and sidecars read with their recording
    (a ROS 2 bag's ``metadata.yaml`` and SQLite's ``-wal``/``-shm``/``-journal`` beside a
    database; a LeRobot dataset's files other than its data files, see ``lerobot.is_data_file``)."""
    for path in folder.rglob("*"):
        relative_parts = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative_parts) or path.name in SIDECAR_NAMES:
            continue
        database = path.with_name(path.name.rsplit("-", 1)[0])
        if path.name.endswith(SQLITE_SIDECAR_SUFFIXES) and database.is_file():
            continue
        if not path.is_file() or (lerobot.dataset_root(path) is not None and not lerobot.is_data_file(path)):
            continue
        yield path


def stamp_file(path: Path, *, verify: bool = False) -> ContentStamp:
    """The file's size, modification time and fingerprint, plus its full content hash when
    ``verify``. The fingerprint is BLAKE2b of the size and the first and last
    ``FINGERPRINT_REGION_BYTES`` (the whole file when it is no larger than both): a rewrite that
    keeps size and both ends (and the modification time) is only caught by ``verify``."""
    with path.open("rb") as file:
        stat = os.fstat(file.fileno())
        digest = hashlib.blake2b(str(stat.st_size).encode(), digest_size=20)
        if stat.st_size <= 2 * FINGERPRINT_REGION_BYTES:
            digest.update(file.read())
        else:
            digest.update(file.read(FINGERPRINT_REGION_BYTES))
            file.seek(-FINGERPRINT_REGION_BYTES, os.SEEK_END)
            digest.update(file.read(FINGERPRINT_REGION_BYTES))
        content_hash = _content_hash(file) if verify else None
    return ContentStamp(stat.st_size, stat.st_mtime_ns, f"blake2b:{digest.hexdigest()}", content_hash)


def _content_hash(file: Any) -> str:
    """BLAKE2b of every byte of the open file, read in 1 MiB blocks from its start."""
    file.seek(0)
    digest = hashlib.blake2b(digest_size=20)
    while block := file.read(1 << 20):
        digest.update(block)
    return f"blake2b:{digest.hexdigest()}"


def _existing_folder(folder: Path) -> Path:
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ReaderError(f"{folder}: not a folder")
    return folder
