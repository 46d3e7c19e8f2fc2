"""The devices of the fleet's metadata file, reconciled with the catalog."""

from dagster import MaterializeResult, asset

from pipelines.defs import FLEET_GROUP
from pipelines.defs.resources import CatalogResource, FleetResource
from sessions_lib.inference import acting_org, reconcile_devices


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
