"""Shared fixtures: a fresh DuckLake catalog on disk per test, and a small recording factory."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sessions_lib import (
    Client,
    RecordedTopic,
    register_dataset,
    register_device,
    register_file,
    set_default_client,
)
from sessions_lib.records import DatasetRecord, FileRecord

SECOND_NS = 1_000_000_000
EPOCH_2026_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    return tmp_path / "catalog"


@pytest.fixture
def client(catalog_dir: Path) -> Iterator[Client]:
    """A caller of one org ("org_a") on a fresh catalog."""
    client = Client(catalog_dir, user="tester", org_ids=["org_a"], page_size=3)
    yield client
    client.catalog.close()


@dataclass
class Recordings:
    """Registers datasets and files with topics, for tests that need a few recordings."""

    client: Client
    org_id: str | None = None
    _counter: itertools.count = field(default_factory=itertools.count)

    def dataset(self, name: str = "dataset") -> DatasetRecord:
        return register_dataset(name, org_id=self.org_id, roboto_client=self.client)

    def device(self, name: str = "drone", device_id: str | None = None) -> str:
        return register_device(
            name, device_id=device_id, org_id=self.org_id, roboto_client=self.client
        ).device_id

    def file(
        self,
        topics: dict[str, Sequence[tuple[int, int]]],
        *,
        dataset_id: str | None = None,
        offset_ns: int = 0,
        file_id: str | None = None,
        device_id: str | None = None,
    ) -> FileRecord:
        """A file whose topics have the given spans (stored clock; wall = span + offset_ns)."""
        dataset_id = dataset_id or self.dataset().dataset_id
        return register_file(
            dataset_id,
            f"recording-{next(self._counter)}.mcap",
            [
                RecordedTopic(name, spans=tuple(spans), unix_epoch_offset_ns=offset_ns)
                for name, spans in topics.items()
            ],
            file_id=file_id,
            device_id=device_id,
            org_id=self.org_id,
            roboto_client=self.client,
        )


@pytest.fixture
def recordings(client: Client) -> Recordings:
    return Recordings(client)


@pytest.fixture
def ambient(client: Client) -> Iterator[Client]:
    """Make ``client`` the ambient one, so calls without ``roboto_client`` use it."""
    set_default_client(client)
    yield client
    set_default_client(None)


def table_contents(client: Client) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: to assert that a refused call wrote nothing."""
    tables = [
        "devices", "datasets", "files", "topics", "topic_partitions", "timeline_extents",
        "sessions", "session_files", "session_devices", "activity_intervals",
    ]  # fmt: skip
    return client.catalog.transaction(
        lambda tx: {t: sorted(tx.rows(f"SELECT * FROM {t}"), key=repr) for t in tables}
    )
