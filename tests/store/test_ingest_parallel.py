"""Ingestion in batches: every recording in exactly one batch, batches that weigh alike, one
dataset per folder however many processes register it, and the workers benchmark end to end."""

import multiprocessing
import shutil
from pathlib import Path

import pytest

from sessions_lib import Client
from sessions_lib.ingest import (
    dataset_for_folder,
    ingest_batch,
    ingest_folder,
    plan_batches,
    recording_paths,
)
from tests.helpers import catalog_content

FLEET = Path(__file__).resolve().parents[2] / "data" / "fleet"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(FLEET, tmp_path / "fleet")
    return tmp_path / "fleet"


@pytest.mark.parametrize("files_per_batch", [1, 3, 5, 16, 17, 100, None])
def test_every_recording_is_in_exactly_one_batch(client: Client, folder: Path, files_per_batch: int | None):
    dataset = dataset_for_folder(folder, roboto_client=client)
    batches = plan_batches(dataset, folder, files_per_batch)
    recordings = sorted(p.relative_to(folder).as_posix() for p in recording_paths(folder))
    assert sorted(path for batch in batches for path in batch.relative_paths) == recordings
    expected_count = -(-len(recordings) // files_per_batch) if files_per_batch else 1
    assert len(batches) == expected_count
    assert all(len(batch.relative_paths) <= (files_per_batch or len(recordings)) for batch in batches)
    assert all(list(batch.relative_paths) == sorted(batch.relative_paths) for batch in batches)
    assert {(b.dataset_id, b.org_id, b.folder) for b in batches} == {
        (dataset.dataset_id, dataset.org_id, str(folder.resolve()))
    }


def test_batches_hold_about_as_many_files_and_bytes(client: Client, folder: Path):
    batches = plan_batches(dataset_for_folder(folder, roboto_client=client), folder, files_per_batch=6)
    counts = [len(b.relative_paths) for b in batches]
    sizes = [sum((folder / p).stat().st_size for p in b.relative_paths) for b in batches]
    largest_file = max(p.stat().st_size for p in recording_paths(folder))
    assert max(counts) - min(counts) <= 1
    assert max(sizes) - min(sizes) <= largest_file


def test_an_empty_folder_is_one_empty_batch(client: Client, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (batch,) = plan_batches(dataset_for_folder(empty, roboto_client=client), empty, files_per_batch=4)
    assert batch.relative_paths == ()
    assert ingest_batch(batch, roboto_client=client).registered == ()


def test_files_per_batch_must_be_positive(client: Client, folder: Path):
    with pytest.raises(ValueError, match="files_per_batch must be at least 1, got 0"):
        plan_batches(dataset_for_folder(folder, roboto_client=client), folder, files_per_batch=0)


@pytest.mark.slow  # ingests the fleet three times
@pytest.mark.fresh_catalog  # compares every row with a catalog of one folder run
def test_batches_store_what_one_folder_run_stores(client: Client, folder: Path, tmp_path: Path):
    dataset = dataset_for_folder(folder, roboto_client=client)
    reports = [ingest_batch(b, roboto_client=client) for b in plan_batches(dataset, folder, 4)]
    whole = Client(tmp_path / "whole", org_ids=["org_a"])
    report = ingest_folder(folder, roboto_client=whole)
    assert sorted(p for r in reports for p in r.registered) == list(report.registered)
    assert sorted(f for r in reports for f in r.failed) == list(report.failed)
    assert catalog_content(client) == catalog_content(whole)
    again = [ingest_batch(b, roboto_client=client) for b in plan_batches(dataset, folder, 4)]
    assert sum(len(r.unchanged) for r in again) == len(report.registered)
    assert sum(len(r.failed) for r in again) == len(report.failed)


def register_folder(catalog: str, folder: str, start) -> str:
    client = Client(catalog, org_ids=["org_a"])
    start.wait()  # both processes look up the (missing) dataset together
    return dataset_for_folder(Path(folder), roboto_client=client).dataset_id


def test_processes_registering_one_folder_at_once_make_one_dataset(
    client: Client, catalog_setting: str, folder: Path
):
    client.catalog.read(lambda tx: None)  # the catalog exists before the race
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        ids = pool.starmap(register_folder, [(catalog_setting, str(folder), start)] * 2)
    rows = client.catalog.read(lambda tx: tx.rows("SELECT dataset_id, root_path FROM datasets"))
    assert ids[0] == ids[1]
    assert rows == [(ids[0], str(folder.resolve()))]
