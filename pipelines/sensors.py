"""A sensor that starts a run when the recordings in a dataset folder change."""

import hashlib

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.resources import FleetResource
from pipelines.schedules import fleet_job
from sessions_lib.ingest import recording_paths


def folder_fingerprint(fleet: FleetResource) -> str:
    """A digest of every recording's path, size and modification time in the dataset folders."""
    digest = hashlib.blake2b(digest_size=16)
    for folder in fleet.dataset_folders():
        if not folder.is_dir():
            continue
        for path in sorted(recording_paths(folder)):
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@sensor(job=fleet_job, minimum_interval_seconds=60)
def new_recordings_sensor(context: SensorEvaluationContext, fleet: FleetResource):
    """Request a run when the dataset folders hold new or changed recordings."""
    fingerprint = folder_fingerprint(fleet)
    if fingerprint == context.cursor:
        return SkipReason("no new or changed recordings")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint)
