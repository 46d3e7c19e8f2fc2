"""The catalog kept small and fast: compaction after every run."""

from dagster import MaterializeResult, asset

from pipelines.defs import FLEET_GROUP
from pipelines.defs.resources import CatalogResource
from pipelines.defs.sessions import session_contributions


@asset(group_name=FLEET_GROUP, deps=[session_contributions])
def catalog_maintenance(catalog: CatalogResource) -> MaterializeResult:
    """Compaction of small writes and expiry of old snapshots, so the catalog stays small and fast."""
    client = catalog.client()
    before = client.catalog.size_bytes()
    client.catalog.compact()
    return MaterializeResult(metadata={"bytes_before": before, "bytes_after": client.catalog.size_bytes()})
