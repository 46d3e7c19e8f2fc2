"""The pipeline's assets, by domain."""

from pipelines.assets.fleet import (
    catalog_maintenance,
    dataset_files,
    device_metadata,
    inferred_sessions,
    session_contributions,
    topic_extents,
)

FLEET_ASSETS = [
    dataset_files,
    device_metadata,
    topic_extents,
    inferred_sessions,
    session_contributions,
    catalog_maintenance,
]

__all__ = ["FLEET_ASSETS"]
