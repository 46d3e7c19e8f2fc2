"""From the dataset folders to the catalog: recordings listed, read in batches into topics and
extents, and a sensor that starts a run when the recordings change.

The state lives in the catalog (registered files and their extents), so a re-run reads only new or
changed files.
"""

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from dagster import (
    AssetIn,
    DynamicOut,
    DynamicOutput,
    In,
    MaterializeResult,
    Nothing,
    OpExecutionContext,
    Output,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset,
    graph_asset,
    op,
    sensor,
)

from pipelines.defs import FLEET_GROUP
from pipelines.defs.jobs import fleet_job
from pipelines.defs.resources import CatalogResource, FleetResource
from sessions_lib.inference import acting_org
from sessions_lib.ingest import (
    FileBatch,
    IngestReport,
    dataset_for_folder,
    ingest_batch,
    plan_batches,
    recording_paths,
)


@asset(group_name=FLEET_GROUP)
def dataset_files(fleet: FleetResource) -> MaterializeResult:
    """The recordings in each dataset folder (sidecars such as a bag's metadata.yaml excluded)."""
    listing = {folder.name: sorted(recording_paths(folder)) for folder in fleet.dataset_folders()}
    missing = [str(folder) for folder in fleet.dataset_folders() if not folder.is_dir()]
    if missing:
        raise FileNotFoundError(f"dataset folder(s) {missing} do not exist")
    return MaterializeResult(metadata={name: len(paths) for name, paths in listing.items()})


@op(ins={"datasets_listed": In(Nothing), "devices_known": In(Nothing)}, out=DynamicOut(FileBatch))
def plan_file_batches(catalog: CatalogResource, fleet: FleetResource) -> Iterator[DynamicOutput[FileBatch]]:
    """Each dataset folder registered as a dataset (once, before any batch is read) and its
    recordings dealt into batches of ``fleet.files_per_batch``, one mapped step each."""
    metadata, client = fleet.metadata(), catalog.client()
    org = acting_org(client, metadata)
    for folder in fleet.dataset_folders():
        dataset = dataset_for_folder(folder, org_id=org, roboto_client=client)
        key = re.sub(r"\W", "_", dataset.dataset_id)
        for index, batch in enumerate(plan_batches(dataset, folder, fleet.files_per_batch)):
            yield DynamicOutput(batch, mapping_key=f"{key}_{index:03d}")


@op
def read_file_batch(
    context: OpExecutionContext, catalog: CatalogResource, fleet: FleetResource, batch: FileBatch
) -> IngestReport:
    """The batch's new or changed recordings read into topics and extents, mapped to their devices."""
    report = ingest_batch(
        batch, device_for=fleet.metadata().device_for, verify=fleet.verify, roboto_client=catalog.client()
    )
    context.log.info(report.summary())
    return report


@op
def combine_ingest_reports(reports: list[IngestReport]) -> Output[list[IngestReport]]:
    """Every batch's report, with the counts over all of them as the materialization's metadata."""
    failed = [f"{Path(r.folder).name}/{path}: {error}" for r in reports for path, error in r.failed]
    metadata: dict[str, int | str] = {
        "batches": len(reports),
        "registered": sum(len(r.registered) for r in reports),
        "unchanged": sum(len(r.unchanged) for r in reports),
        "failed": len(failed),
        "failures": "\n".join(sorted(failed)),
    }
    return Output(reports, metadata=metadata)


@graph_asset(
    group_name=FLEET_GROUP,
    ins={
        "dataset_files": AssetIn(dagster_type=Nothing),
        "device_metadata": AssetIn(dagster_type=Nothing),
    },
)
def topic_extents(dataset_files, device_metadata):
    """Every new or changed recording read into topics and timeline extents, mapped to its device.

    The recordings are read in batches, one mapped step per batch: the multiprocess executor (or a
    cluster's Kubernetes or Celery executor) runs them in parallel, in-process runs one by one.
    """
    batches = plan_file_batches(datasets_listed=dataset_files, devices_known=device_metadata)
    return combine_ingest_reports(batches.map(read_file_batch).collect())


def folder_fingerprint(fleet: FleetResource) -> str:
    """A digest of every recording's path, size and modification time in the dataset folders."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in fleet.dataset_folders():
        if not folder.is_dir():
            continue
        for path in sorted(recording_paths(folder)):
            stat = path.stat()
            digest.update(os.fsencode(path) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@sensor(job=fleet_job, minimum_interval_seconds=60)
def new_recordings_sensor(context: SensorEvaluationContext, fleet: FleetResource):
    """Request a run when the dataset folders hold new or changed recordings."""
    fingerprint = folder_fingerprint(fleet)
    if fingerprint == context.cursor:
        return SkipReason("no new or changed recordings")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint)
