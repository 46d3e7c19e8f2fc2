"""From a fleet folder to sessions: files -> devices -> extents -> inferred sessions -> catalog.

Each asset's state lives in the catalog (registered files, devices, extents, sessions), so a
re-run reads only new or changed files and rewrites only the sessions that changed.
"""

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
    asset,
    graph_asset,
    op,
)

from pipelines.resources import CatalogResource, FleetResource
from sessions_lib.inference import (
    InferredSessions,
    acting_org,
    infer_fleet_sessions,
    reconcile_devices,
    write_inferred_sessions,
)
from sessions_lib.ingest import (
    FileBatch,
    IngestReport,
    dataset_for_folder,
    ingest_batch,
    plan_batches,
    recording_paths,
)

GROUP = "fleet"


@asset(group_name=GROUP)
def dataset_files(fleet: FleetResource) -> MaterializeResult:
    """The recordings in each dataset folder (sidecars such as a bag's metadata.yaml excluded)."""
    listing = {folder.name: sorted(recording_paths(folder)) for folder in fleet.dataset_folders()}
    missing = [str(folder) for folder in fleet.dataset_folders() if not folder.is_dir()]
    if missing:
        raise FileNotFoundError(f"dataset folder(s) {missing} do not exist")
    return MaterializeResult(metadata={name: len(paths) for name, paths in listing.items()})


@asset(group_name=GROUP)
def device_metadata(catalog: CatalogResource, fleet: FleetResource) -> MaterializeResult:
    """The devices of the metadata file, created or updated in the catalog."""
    metadata, client = fleet.metadata(), catalog.client()
    change = reconcile_devices(client, acting_org(client, metadata), metadata)
    return MaterializeResult(
        metadata={
            "devices": len(metadata.devices),
            "created": len(change.created),
            "updated": len(change.updated),
        }
    )


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
    report = ingest_batch(batch, device_for=fleet.metadata().device_for, roboto_client=catalog.client())
    context.log.info(report.summary())
    return report


@op
def combine_ingest_reports(reports: list[IngestReport]) -> Output[list[IngestReport]]:
    """Every batch's report, with the counts over all of them as the materialization's metadata."""
    failed = [f"{Path(r.folder).name}/{path}: {error}" for r in reports for path, error in r.failed]
    metadata = {
        "batches": len(reports),
        "registered": sum(len(r.registered) for r in reports),
        "unchanged": sum(len(r.unchanged) for r in reports),
        "failed": len(failed),
        "failures": "\n".join(sorted(failed)),
    }
    return Output(reports, metadata=metadata)


@graph_asset(
    group_name=GROUP,
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


@asset(group_name=GROUP, deps=[topic_extents])
def inferred_sessions(catalog: CatalogResource, fleet: FleetResource) -> InferredSessions:
    """Sessions inferred from every device's activity (pure polars, see sessions_lib.inference)."""
    metadata, client = fleet.metadata(), catalog.client()
    return infer_fleet_sessions(client, acting_org(client, metadata), metadata)


@asset(group_name=GROUP)
def session_contributions(
    catalog: CatalogResource, fleet: FleetResource, inferred_sessions: InferredSessions
) -> MaterializeResult:
    """The inferred sessions, their contributions and device attachments, written in one transaction.

    Sessions made through the API are never touched; unchanged inferred sessions are not rewritten.
    """
    metadata, client = fleet.metadata(), catalog.client()
    change = write_inferred_sessions(client, acting_org(client, metadata), inferred_sessions)
    return MaterializeResult(
        metadata={
            "sessions": inferred_sessions.sessions.height,
            "created": len(change.created),
            "changed": len(change.changed),
            "deleted": len(change.deleted),
            "unchanged": change.unchanged,
        }
    )


@asset(group_name=GROUP, deps=[session_contributions])
def catalog_maintenance(catalog: CatalogResource) -> MaterializeResult:
    """Compaction of small writes and expiry of old snapshots, so the catalog stays small and fast."""
    client = catalog.client()
    before = client.catalog.size_bytes()
    client.catalog.compact()
    return MaterializeResult(metadata={"bytes_before": before, "bytes_after": client.catalog.size_bytes()})
