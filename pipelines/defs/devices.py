"""The devices of the fleet's metadata file, reconciled with the catalog; every registered file of
the fleet's datasets mapped to its device by that metadata, and anchored by its device's clock rule."""

from dagster import MaterializeResult, asset

from pipelines.defs import FLEET_GROUP
from pipelines.defs.ingestion import topic_extents
from pipelines.defs.resources import CatalogResource, FleetResource
from sessions_lib import Client
from sessions_lib.inference import acting_org, anchor_files_by_name, reconcile_devices, remap_file_devices
from sessions_lib.ingest import dataset_for_folder

# The materialization metadata entry listing what an asset changed in files, one per line.
FILE_CHANGES = "changes"


@asset(group_name=FLEET_GROUP)
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


@asset(group_name=FLEET_GROUP, deps=[topic_extents, device_metadata])
def file_devices(catalog: CatalogResource, fleet: FleetResource) -> MaterializeResult:
    """Every registered file of the datasets mapped to its device again, from what its row stores
    (identifiers and path; no recording read): files ingested before the metadata named their
    device, and files an edited metadata file maps elsewhere, follow the metadata on every run."""
    metadata, client = fleet.metadata(), catalog.client()
    org = acting_org(client, metadata)
    changes = remap_file_devices(client, org, metadata, _dataset_ids(fleet, client, org))
    return MaterializeResult(metadata={"changed": len(changes), FILE_CHANGES: "\n".join(map(str, changes))})


@asset(group_name=FLEET_GROUP, deps=[file_devices])
def file_clocks(catalog: CatalogResource, fleet: FleetResource) -> MaterializeResult:
    """Files whose own clock is not Unix time anchored where their device's clock rule
    (``clock.start_from_file_name``) finds their start in their path."""
    metadata, client = fleet.metadata(), catalog.client()
    org = acting_org(client, metadata)
    changes = anchor_files_by_name(client, org, metadata, _dataset_ids(fleet, client, org))
    return MaterializeResult(metadata={"anchored": len(changes), FILE_CHANGES: "\n".join(map(str, changes))})


def _dataset_ids(fleet: FleetResource, client: Client, org: str) -> list[str]:
    return [
        dataset_for_folder(folder, org_id=org, roboto_client=client).dataset_id
        for folder in fleet.dataset_folders()
    ]
