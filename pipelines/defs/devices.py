"""The devices of the fleet's metadata file, reconciled with the catalog, and every registered
file of the fleet's datasets mapped to its device by that metadata."""

from dagster import MaterializeResult, asset

from pipelines.defs import FLEET_GROUP
from pipelines.defs.ingestion import topic_extents
from pipelines.defs.resources import CatalogResource, FleetResource
from sessions_lib.inference import acting_org, reconcile_devices, remap_file_devices
from sessions_lib.ingest import dataset_for_folder

# The materialization metadata entry listing the files that changed device, one per line.
DEVICE_CHANGES = "changes"


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
    dataset_ids = [
        dataset_for_folder(folder, org_id=org, roboto_client=client).dataset_id
        for folder in fleet.dataset_folders()
    ]
    changes = remap_file_devices(client, org, metadata, dataset_ids)
    return MaterializeResult(metadata={"changed": len(changes), DEVICE_CHANGES: "\n".join(map(str, changes))})
