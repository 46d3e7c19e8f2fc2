"""Sessions inferred from the devices' activity and written to the catalog, then the catalog's
invariants checked after every run.

Inference is pure polars (``sessions_lib.inference``); a re-run rewrites only the sessions that
changed. The bounds check recomputes bounds with the same rules ``Session`` uses
(``sessions_lib.queries``).
"""

from dagster import AssetCheckResult, MaterializeResult, asset, asset_check

from pipelines.defs import FLEET_GROUP
from pipelines.defs.devices import file_clocks
from pipelines.defs.resources import CatalogResource, FleetResource
from sessions_lib.inference import (
    InferredSessions,
    acting_org,
    infer_fleet_sessions,
    write_inferred_sessions,
)
from sessions_lib.queries import ORG_SESSIONS, with_rules


@asset(group_name=FLEET_GROUP, deps=[file_clocks])
def inferred_sessions(catalog: CatalogResource, fleet: FleetResource) -> InferredSessions:
    """Sessions inferred from every device's activity (pure polars, see sessions_lib.inference)."""
    metadata, client = fleet.metadata(), catalog.client()
    return infer_fleet_sessions(client, acting_org(client, metadata), metadata)


@asset(group_name=FLEET_GROUP)
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


# Sessions whose stored bounds differ from the bounds recomputed from their contributions.
BOUNDS_DIFFERING = (
    with_rules(ORG_SESSIONS)
    + """
SELECT s.session_id, s.min_timestamp_ns, s.max_timestamp_ns, b.min_timestamp_ns, b.max_timestamp_ns
FROM sessions AS s
LEFT JOIN session_bounds AS b ON b.org_id = s.org_id AND b.session_id = s.session_id
WHERE s.org_id = $org_id
  AND (s.min_timestamp_ns IS DISTINCT FROM b.min_timestamp_ns
       OR s.max_timestamp_ns IS DISTINCT FROM b.max_timestamp_ns)
"""
)
# Contributions whose file is not in the catalog.
CONTRIBUTIONS_WITHOUT_FILE = """
SELECT sf.session_id, sf.file_id FROM session_files AS sf
LEFT JOIN files AS f ON f.org_id = sf.org_id AND f.file_id = sf.file_id
WHERE sf.org_id = $org_id AND f.file_id IS NULL
"""
# Contributions with one range bound but not the other, or an inverted range.
BAD_RANGES = """
SELECT session_id, file_id, range_min_timestamp_ns, range_max_timestamp_ns FROM session_files
WHERE org_id = $org_id
  AND ((range_min_timestamp_ns IS NULL) <> (range_max_timestamp_ns IS NULL)
       OR range_min_timestamp_ns > range_max_timestamp_ns)
"""


def _violations(catalog: CatalogResource, fleet: FleetResource, sql: str) -> list[tuple]:
    client = catalog.client()
    org = acting_org(client, fleet.metadata())
    return client.catalog.read(lambda tx: tx.rows(sql, org_id=org))


def _result(rows: list[tuple], what: str) -> AssetCheckResult:
    return AssetCheckResult(
        passed=not rows,
        metadata={"violations": len(rows), "first": "\n".join(map(str, rows[:10])) or "none", "rule": what},
    )


@asset_check(asset=session_contributions)
def stored_bounds_equal_recomputed_bounds(catalog: CatalogResource, fleet: FleetResource) -> AssetCheckResult:
    """Every session's stored bounds equal the bounds recomputed from its contributions."""
    return _result(_violations(catalog, fleet, BOUNDS_DIFFERING), "stored bounds = recomputed bounds")


@asset_check(asset=session_contributions)
def contributions_reference_existing_files(
    catalog: CatalogResource, fleet: FleetResource
) -> AssetCheckResult:
    """No contribution names a file the catalog does not have."""
    return _result(
        _violations(catalog, fleet, CONTRIBUTIONS_WITHOUT_FILE), "no contribution of a missing file"
    )


@asset_check(asset=session_contributions)
def contribution_ranges_are_two_sided(catalog: CatalogResource, fleet: FleetResource) -> AssetCheckResult:
    """Every contribution range has both bounds or neither, and min <= max."""
    return _result(_violations(catalog, fleet, BAD_RANGES), "ranges: both bounds or neither, min <= max")


@asset_check(asset=session_contributions)
def metadata_devices_are_in_the_catalog(catalog: CatalogResource, fleet: FleetResource) -> AssetCheckResult:
    """Every device of the metadata file is known to the catalog."""
    client, metadata = catalog.client(), fleet.metadata()
    org = acting_org(client, metadata)
    known = {
        device_id
        for (device_id,) in client.catalog.read(
            lambda tx: tx.rows("SELECT device_id FROM devices WHERE org_id = $org_id", org_id=org)
        )
    }
    missing = [(d.device_id,) for d in metadata.devices if d.device_id not in known]
    return _result(missing, "every metadata device is in the catalog")


SESSION_CHECKS = [
    stored_bounds_equal_recomputed_bounds,
    contributions_reference_existing_files,
    contribution_ranges_are_two_sided,
    metadata_devices_are_in_the_catalog,
]
