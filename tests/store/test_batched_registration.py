"""Batched registration: whatever the batch size, the catalog holds the rows that registering one
file per transaction stores, on both backends; a refused batch writes nothing.

Each example registers into an org of its own on the module's shared catalog (org scoping makes it
a clean slate); the oracle is the same registrations made one file per transaction in another org.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions_lib import (
    Client,
    FileRegistration,
    NotFoundError,
    RecordedTopic,
    Session,
    register_dataset,
    register_file,
    register_files,
)
from sessions_lib.errors import InvalidRequestError
from sessions_lib.ingest import ingest_folder, recording_paths
from tests.conftest import table_contents
from tests.helpers import registered_content

pytestmark = pytest.mark.backends("sqlite", "postgres")

FLEET = Path(__file__).resolve().parents[2] / "data" / "fleet"
EXAMPLES = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded fleet (every format) plus a file no reader can read."""
    root = tmp_path_factory.mktemp("batched") / "fleet"
    shutil.copytree(FLEET, root)
    (root / "broken.mcap").write_bytes(b"\x89MCAP0\r\n cut off")
    return root


def caller(client: Client) -> tuple[Client, str]:
    org_id = f"org_{uuid.uuid4().hex[:12]}"
    return client.as_caller(org_ids=[org_id]), org_id


_one_per_transaction: dict[int, dict[str, list[tuple]]] = {}


def oracle(client: Client, folder: Path) -> dict[str, list[tuple]]:
    """The folder ingested one file per transaction, once per catalog."""
    key = id(client.catalog)
    if key not in _one_per_transaction:
        single, org_id = caller(client)
        ingest_folder(folder, files_per_transaction=1, roboto_client=single)
        _one_per_transaction[key] = registered_content(single, org_id)
    return _one_per_transaction[key]


@EXAMPLES
@given(files_per_transaction=st.integers(1, 25))
def test_ingesting_in_batches_of_any_size_stores_the_rows_of_one_file_per_transaction(
    client: Client, folder: Path, files_per_transaction: int
):
    batched, org_id = caller(client)
    report = ingest_folder(folder, files_per_transaction=files_per_transaction, roboto_client=batched)
    assert len(report.registered) + len(report.failed) == len(list(recording_paths(folder)))
    assert registered_content(batched, org_id) == oracle(client, folder)


spans = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 10**5)).map(lambda s: (s[0], s[0] + s[1])),
    min_size=1,
    max_size=3,
)
topic_sets = st.dictionaries(st.sampled_from(["/a", "/b", "/c"]), spans, max_size=3)
# Files 0-5, registered first; then a second round over some of them (new spans: a replacement).
first_round = st.lists(topic_sets, min_size=6, max_size=6)
second_round = st.dictionaries(st.integers(0, 5), topic_sets, max_size=6)


def registrations(dataset_id: str, files: dict[int, dict[str, list[tuple[int, int]]]]):
    for index, topics in sorted(files.items()):
        yield FileRegistration(
            dataset_id,
            f"run-{index}.mcap",
            [RecordedTopic(name, tuple(s), unix_epoch_offset_ns=10**9) for name, s in topics.items()],
        )


def register_and_replace(client: Client, first, second, files_per_transaction: int | None) -> None:
    """Register the first round, hold every file in a session, then register the second round:
    in batches of ``files_per_transaction``, or one ``register_file`` call each (``None``)."""
    dataset_id = register_dataset("batched", roboto_client=client).dataset_id

    def register(files) -> list:
        if files_per_transaction is None:
            return [
                register_file(r.dataset_id, r.relative_path, r.topics, roboto_client=client)
                for r in registrations(dataset_id, files)
            ]
        return register_files(
            registrations(dataset_id, files),
            files_per_transaction=files_per_transaction,
            roboto_client=client,
        )

    stored = register(dict(enumerate(first)))
    session = Session.create(name="holds-all", roboto_client=client)
    session.add_files([f.file_id for f in stored[:3]])
    session.add_file(stored[3].file_id, 10**9, 10**9 + 500_000)
    register(second)


@EXAMPLES
@given(first=first_round, second=second_round, files_per_transaction=st.integers(1, 7))
def test_register_files_in_batches_equals_register_file_one_by_one(
    client: Client, first, second, files_per_transaction: int
):
    batched, batched_org = caller(client)
    single, single_org = caller(client)
    register_and_replace(batched, first, second, files_per_transaction)
    register_and_replace(single, first, second, None)
    assert registered_content(batched, batched_org) == registered_content(single, single_org)


def test_register_files_returns_each_file_as_stored_in_order(client: Client):
    dataset_id = register_dataset("ordered", roboto_client=client).dataset_id
    files = {i: {"/a": [(i, i + 1)]} for i in (3, 1, 2)}
    stored = register_files(registrations(dataset_id, files), files_per_transaction=2, roboto_client=client)
    assert [f.relative_path for f in stored] == ["run-1.mcap", "run-2.mcap", "run-3.mcap"]
    again = register_files(registrations(dataset_id, files), roboto_client=client)
    assert [f.file_id for f in again] == [f.file_id for f in stored]  # a path keeps its id


@pytest.mark.fresh_catalog
def test_a_refused_registration_writes_nothing_of_its_batch(client: Client):
    dataset_id = register_dataset("refused", roboto_client=client).dataset_id
    good = FileRegistration(dataset_id, "good.mcap", [RecordedTopic("/a", ((0, 1),))])
    before = table_contents(client)
    with pytest.raises(NotFoundError, match="dv_nowhere"):
        register_files(
            [good, FileRegistration(dataset_id, "bad.mcap", device_id="dv_nowhere")], roboto_client=client
        )
    with pytest.raises(InvalidRequestError, match="given twice"):
        register_files([good, good], roboto_client=client)
    with pytest.raises(InvalidRequestError, match="files_per_transaction"):
        register_files([good], files_per_transaction=0, roboto_client=client)
    assert table_contents(client) == before
