"""The main job: every asset of the fleet pipeline materialized, its checks run, then a summary.

python -m pipelines                      # data/ into the ambient catalog (./.sessions), in-process
python -m pipelines data --catalog /srv/fleet
python -m pipelines data --workers 2     # ingestion batches in 2 processes at once (multiprocess executor)
python -m pipelines logs/a logs/b --devices fleet.yaml   # these dataset folders, that device metadata
python -m pipelines logs/a               # a folder without devices.yaml: ingested, no device mapped

A single folder holding a devices.yaml is the fleet that file describes (the dataset folders it
lists under datasets:, else the folder itself); see FleetResource.for_folders.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetsDefinition,
    DagsterInstance,
    ExecuteInProcessResult,
    JobExecutionResult,
    build_reconstructable_job,
    execute_job,
)

from pipelines.definitions import fleet_job_for
from pipelines.defs.devices import FILE_CHANGES, file_clocks, file_devices
from pipelines.defs.resources import CatalogResource, FleetResource, folder_problem
from sessions_lib.client import Client
from sessions_lib.errors import SessionsError
from sessions_lib.inference import acting_org
from sessions_lib.surfaces.summary import summarize_by_device

PROBLEM_FILES = """
SELECT d.name, f.relative_path, f.ingest_status, f.ingest_error, f.device_id
FROM files AS f JOIN datasets AS d ON d.org_id = f.org_id AND d.dataset_id = f.dataset_id
WHERE f.org_id = $org_id AND (f.ingest_status = 'failed' OR f.device_id IS NULL)
ORDER BY d.name, f.relative_path
"""
# Dagster's own logs only for warnings and errors: the summary is the report.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def run_fleet(
    folders: Path | Sequence[Path] = (),
    catalog_location: str | None = None,
    *,
    devices: Path | None = None,
    workers: int = 0,
    files_per_batch: int | None = None,
) -> tuple[bool, str]:
    """Materialize every asset and run every check over the dataset ``folders`` with the device
    metadata ``devices`` (the layout rules of :meth:`FleetResource.for_folders`), in this process
    or with ``workers`` step processes (see :func:`execute_fleet`); return whether all passed, and
    the summary. Invalid metadata or a missing folder is refused before the run starts
    (``InvalidRequestError``)."""
    catalog = CatalogResource(location=catalog_location)
    settings = {"files_per_batch": files_per_batch} if files_per_batch else {}
    fleet = FleetResource.for_folders(
        [folders] if isinstance(folders, Path) else folders, devices, **settings
    )
    fleet.check()
    run = execute_fleet(fleet, catalog, workers=workers)
    success, checks = run.success, run.checks
    failed_checks = [c.check_name for c in checks if not c.passed]
    client = catalog.client()
    try:
        lines = [fleet_summary(client, acting_org(client, fleet.metadata()))]
    finally:
        client.catalog.close()
    if fleet.metadata_file() is None:
        lines.append(
            "no device metadata (devices.yaml): the recordings were ingested, none mapped to a device"
        )
    for title, changes in (
        ("files that changed device", run.device_changes),
        ("files anchored by their names", run.anchor_changes),
    ):
        if changes:
            lines.append(f"{title} ({len(changes)}):")
            lines += [f"  {change}" for change in changes]
    lines.append(f"checks: {len(checks) - len(failed_checks)} of {len(checks)} passed")
    lines += [f"  FAILED check {name}" for name in failed_checks]
    if not success:
        lines.append("the run failed: see the errors above")
    return success and not failed_checks, "\n".join(lines)


@dataclass(frozen=True, slots=True)
class FleetRun:
    """What a run of the fleet job did: whether every step succeeded, the checks' results, the
    files that the device metadata mapped to another device (``path: before -> after``) and the
    files it anchored by their names (``path: starts T``)."""

    success: bool
    checks: list[AssetCheckEvaluation]
    device_changes: tuple[str, ...]
    anchor_changes: tuple[str, ...]

    @classmethod
    def of(cls, result: ExecuteInProcessResult | JobExecutionResult) -> FleetRun:
        events = result.get_asset_materialization_events()

        def changes(asset: AssetsDefinition) -> tuple[str, ...]:
            return tuple(
                line
                for event in events
                if event.asset_key == asset.key
                for line in str(event.materialization.metadata[FILE_CHANGES].value).splitlines()
            )

        checks = list(result.get_asset_check_evaluations())
        return cls(result.success, checks, changes(file_devices), changes(file_clocks))


def execute_fleet(
    fleet: FleetResource,
    catalog: CatalogResource,
    *,
    workers: int = 0,
    assets: Sequence[str] | None = None,
    instance: DagsterInstance | None = None,
) -> FleetRun:
    """Run the fleet job (or only ``assets``, with their checks); return what it did.

    ``workers=0`` runs every step in this process, one after another. ``workers=N`` runs the job on
    Dagster's multiprocess executor, at most N step processes at once (the ingestion batches of
    ``topic_extents`` in parallel); that needs a persistent instance: ``instance``, else
    ``$DAGSTER_HOME``'s, else a temporary one.
    """
    if workers < 0:
        raise ValueError(f"workers must be 0 (in-process) or more, got {workers}")
    settings = {"fleet": fleet.model_dump(), "catalog": catalog.model_dump()}
    selection = [AssetKey(name) for name in assets] if assets else None
    if workers == 0:
        result = fleet_job_for(**settings).execute_in_process(
            run_config=QUIET_LOGS,
            instance=instance or DagsterInstance.ephemeral(),
            raise_on_error=False,
            asset_selection=selection,
        )
        return FleetRun.of(result)
    job = build_reconstructable_job(
        fleet_job_for.__module__, fleet_job_for.__name__, reconstructable_kwargs=settings
    )
    # spawn, not forkserver: a step process then starts from this process's environment as it is
    # now (catalog URL, data path, AWS credentials), not as it was when a forkserver first started.
    multiprocess = {"max_concurrent": workers, "start_method": {"spawn": {}}}
    run_config = {**QUIET_LOGS, "execution": {"config": {"multiprocess": multiprocess}}}
    with contextlib.ExitStack() as stack:
        if instance is None:
            instance = stack.enter_context(_persistent_instance())
        executed = stack.enter_context(
            execute_job(job, instance, run_config=run_config, asset_selection=selection)
        )
        return FleetRun.of(executed)


@contextlib.contextmanager
def _persistent_instance() -> Iterator[DagsterInstance]:
    if os.environ.get("DAGSTER_HOME"):
        with DagsterInstance.get() as instance:
            yield instance
    else:
        with temporary_instance() as instance:
            yield instance


@contextlib.contextmanager
def temporary_instance() -> Iterator[DagsterInstance]:
    """A persistent Dagster instance in a temporary folder (removed after), quiet: no telemetry,
    Dagster's own logs only from warnings up."""
    settings = {"telemetry": {"enabled": False}, "python_logs": {"python_log_level": "WARNING"}}
    with (
        tempfile.TemporaryDirectory(prefix="dagster-") as home,
        DagsterInstance.local_temp(home, overrides=settings) as instance,
    ):
        yield instance


def fleet_summary(client: Client, org_id: str) -> str:
    """Sessions per device with their bounds and topic counts, then the files that need a look."""
    by_device = summarize_by_device(org_id, roboto_client=client)
    lines = [by_device] if by_device else []
    problems = client.catalog.read(lambda tx: tx.rows(PROBLEM_FILES, org_id=org_id))
    if problems:
        lines.append("problems:")
    for dataset, path, status, error, device_id in problems:
        if status == "failed":
            lines.append(f"  corrupt or unreadable: {dataset}/{path}: {error}")
        elif device_id is None:
            lines.append(f"  no device matches: {dataset}/{path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "folders",
        nargs="*",
        type=Path,
        help="dataset folders; one folder holding a devices.yaml is the fleet it describes (default: data)",
    )
    parser.add_argument(
        "--devices",
        type=Path,
        default=None,
        help="device metadata file (devices.yaml); the folders given are its datasets",
    )
    parser.add_argument(
        "--catalog",
        default=None,
        help="catalog folder or postgresql:// URL (default: $SESSIONS_CATALOG or .sessions)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="ingest in this many processes at once (Dagster's multiprocess executor); default: in-process",
    )
    parser.add_argument("--files-per-batch", type=int, default=None, help="recordings per ingestion step")
    args = parser.parse_args(argv)
    problems = [folder_problem(folder) for folder in args.folders]
    if args.devices is not None and not args.devices.is_file():
        problems.append(f"device metadata file {args.devices} does not exist")
    for problem in filter(None, problems):
        parser.error(problem)
    try:
        passed, summary = run_fleet(
            args.folders,
            args.catalog,
            devices=args.devices,
            workers=args.workers,
            files_per_batch=args.files_per_batch,
        )
    except SessionsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary)
    return 0 if passed else 1
