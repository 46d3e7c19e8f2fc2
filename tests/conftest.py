"""Shared fixtures: DuckLake catalogs (SQLite, or PostgreSQL + S3 for tests marked ``backends``),
and a small recording factory.

``client`` is a caller of a fresh org (``org_<uuid>``, also the ``org_id`` fixture) on a catalog
shared by the tests of one module, one per backend: every read and write of the library is scoped
to the caller's org, so a fresh org is a clean slate without the cost of a new catalog per test.
Tests that need a catalog of their own (they count rows of every org, race other processes, pass
``catalog_setting`` on, or create the catalog) get one, with the org ``org_a``: mark them
``fresh_catalog``, or request ``catalog_setting`` (which always names a fresh catalog, and then
``client`` is on that one)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from sessions_lib import (
    Client,
    RecordedTopic,
    register_dataset,
    register_device,
    register_file,
    set_default_client,
)
from sessions_lib.catalog.location import DATA_PATH_ENV_VAR
from sessions_lib.model.records import DatasetRecord, FileRecord
from tests import services

SECOND_NS = 1_000_000_000
EPOCH_2026_NS = 1_767_225_600 * SECOND_NS  # 2026-01-01T00:00:00Z


BACKENDS = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests under ``@pytest.mark.backends(...)`` run once per named catalog backend."""
    marker = metafunc.definition.get_closest_marker("backends")
    if marker and "backend" in metafunc.fixturenames:
        params = [
            pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else []) for b in marker.args
        ]
        metafunc.parametrize("backend", params, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The catalog backend of this test: SQLite unless the test is marked for several."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def catalog_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Services]:
    """PostgreSQL and an S3 server for the whole run, started on first use, stopped by PID."""
    if not services.available():
        pytest.fail(
            "PostgreSQL is not installed: run scripts/install-test-services (or deselect -m postgres)"
        )
    folder = Path(tempfile.mkdtemp(prefix="sessions-services-"))  # short, outside pytest's 0700 tree
    with services.running(folder) as running, pytest.MonkeyPatch.context() as env:
        for name, value in running.environment.items():
            env.setenv(name, value)
        yield running
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    return tmp_path / "catalog"


def new_postgres_catalog(running: services.Services) -> tuple[str, str]:
    """A new database on the test server and a new prefix of the S3 bucket: (URL, data path)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(running.postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return running.database_url(name), f"s3://{services.BUCKET}/{name}/"


@pytest.fixture
def catalog_setting(
    backend: str, catalog_dir: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str:
    """What ``Client(...)`` takes for a fresh catalog of this test's backend.

    PostgreSQL: a new database on the test server, its data under a new prefix of the S3 bucket
    (``SESSIONS_DATA_PATH``, so subprocesses and the pipeline find it too).
    """
    if backend == "sqlite":
        return str(catalog_dir)
    url, data_path = new_postgres_catalog(request.getfixturevalue("catalog_services"))
    monkeypatch.setenv(DATA_PATH_ENV_VAR, data_path)
    return url


@pytest.fixture(scope="module")
def module_catalogs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Client]]:
    """The catalogs this module's tests share, by backend, each created on first use."""
    shared: dict[str, Client] = {}

    def catalog(backend: str) -> Client:
        if backend not in shared:
            if backend == "sqlite":
                setting, data_path = str(tmp_path_factory.mktemp("shared") / "catalog"), None
            else:
                setting, data_path = new_postgres_catalog(request.getfixturevalue("catalog_services"))
            shared[backend] = Client(
                setting, user="tester", org_ids=["org_shared"], page_size=3, data_path=data_path
            )
        return shared[backend]

    yield catalog
    for client in shared.values():
        client.catalog.close()


def needs_fresh_catalog(request: pytest.FixtureRequest) -> bool:
    return (
        request.node.get_closest_marker("fresh_catalog") is not None
        or "catalog_setting" in request.fixturenames
    )


@pytest.fixture
def org_id(request: pytest.FixtureRequest) -> str:
    """The org of ``client``: ``org_a`` on a fresh catalog, else one no other test uses."""
    return "org_a" if needs_fresh_catalog(request) else f"org_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def other_org_id(request: pytest.FixtureRequest) -> str:
    """A second org for tests of two orgs: ``org_b`` on a fresh catalog, else one no other test uses."""
    return "org_b" if needs_fresh_catalog(request) else f"org_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def client(backend: str, org_id: str, request: pytest.FixtureRequest) -> Iterator[Client]:
    """A caller ("tester") of one org, ``org_id``: a fresh org on the module's shared catalog of this
    backend, or ``org_a`` on a fresh catalog (see the module docstring)."""
    if not needs_fresh_catalog(request):
        yield request.getfixturevalue("module_catalogs")(backend).as_caller(user="tester", org_ids=[org_id])
        return
    client = Client(request.getfixturevalue("catalog_setting"), user="tester", org_ids=[org_id], page_size=3)
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
    """Every row of every table (of every org), sorted: to assert that a refused call wrote nothing.

    On a module's shared catalog this still reads all of it: no other test writes while this one
    runs (each xdist worker has catalogs of its own), so any change is this test's doing, in its
    own org or, wrongly, in another.
    """
    tables = [
        "devices", "datasets", "files", "topics", "topic_partitions", "timeline_extents",
        "sessions", "session_files", "session_devices", "activity_intervals",
    ]  # fmt: skip
    return client.catalog.read(
        lambda tx: {t: sorted(tx.rows(f"SELECT * FROM {t}"), key=repr) for t in tables}
    )
