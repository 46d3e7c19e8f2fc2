"""The code location, assembled in one place: ``defs``, which ``dagster dev`` loads.

Settings come from the environment, so one code location serves every deployment:
``SESSIONS_DATA`` (the fleet folder: its ``devices.yaml`` and the dataset folders that file lists;
default ``data``), the library's own ``SESSIONS_CATALOG``
(with ``SESSIONS_DATA_PATH`` for a PostgreSQL catalog), ``SESSIONS_USER``, ``SESSIONS_ORG_IDS``,
and ``SESSIONS_DAGSTER_EXECUTOR``: where a run's steps (the ingestion batches among them)
execute — ``multiprocess`` (default: parallel processes on this machine), ``k8s`` (a Kubernetes
job per step, needs ``dagster-k8s``) or ``celery`` (Celery workers, needs ``dagster-celery``).
"""

import importlib
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from pipelines.defs.devices import device_metadata, file_clocks, file_devices
from pipelines.defs.ingestion import dataset_files, new_recordings_sensor, topic_extents
from pipelines.defs.jobs import daily_fleet_schedule, fleet_job
from pipelines.defs.maintenance import catalog_maintenance
from pipelines.defs.resources import CatalogResource, FleetResource
from pipelines.defs.sessions import SESSION_CHECKS, inferred_sessions, session_contributions
from sessions_lib.catalog.location import CATALOG_ENV_VAR, DATA_PATH_ENV_VAR, POSTGRES_SCHEMES
from sessions_lib.client import USER_ENV_VAR

DATA_ENV_VAR = "SESSIONS_DATA"
DEVICES_ENV_VAR = "SESSIONS_DEVICES"
EXECUTOR_ENV_VAR = "SESSIONS_DAGSTER_EXECUTOR"
# name -> (module, attribute, the package that provides it)
EXECUTORS = {
    "multiprocess": ("dagster", "multi_or_in_process_executor", "dagster"),
    "k8s": ("dagster_k8s", "k8s_job_executor", "dagster-k8s"),
    "celery": ("dagster_celery", "celery_executor", "dagster-celery"),
}
FLEET_ASSETS = [
    dataset_files,
    device_metadata,
    topic_extents,
    file_devices,
    file_clocks,
    inferred_sessions,
    session_contributions,
    catalog_maintenance,
]


def executor_from_env() -> dg.ExecutorDefinition:
    """The executor ``SESSIONS_DAGSTER_EXECUTOR`` names (default ``multiprocess``)."""
    name = os.environ.get(EXECUTOR_ENV_VAR) or "multiprocess"
    if name not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_ENV_VAR}={name!r} is not one of {', '.join(EXECUTORS)}")
    module, attribute, package = EXECUTORS[name]
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError as error:
        raise ImportError(
            f"{EXECUTOR_ENV_VAR}={name!r} needs the {package} package in this environment "
            f"(the version matching dagster's): {error}"
        ) from error


def settings_from_env(**variables: str) -> dict[str, Any]:
    """``dg.EnvVar(name)`` for each resource setting whose variable the environment sets.

    An ``EnvVar`` is read when a run starts the resource, not when the code location loads, and
    the UI shows the setting as coming from that variable; but Dagster fails a run whose
    ``EnvVar`` is unset, and has no default for one. So a variable unset here is left out, and
    the resource keeps its own default, which is today's: ``FleetResource.root`` is ``data``, and
    whatever ``CatalogResource`` leaves unset comes from the library's ambient client (which reads
    the same variables when the run starts, so a worker that sets one still sees it). List
    settings (``SESSIONS_ORG_IDS``, comma-separated) cannot be an ``EnvVar``: the ambient client
    reads them.

    >>> settings_from_env(root="SESSIONS_DATA")  # doctest: +SKIP
    {'root': 'SESSIONS_DATA'}  # an EnvVar, when SESSIONS_DATA is set
    """
    return {setting: dg.EnvVar(name) for setting, name in variables.items() if name in os.environ}


def fleet_from_env() -> FleetResource:
    """The fleet folder ``SESSIONS_DATA`` names (default ``data``) and the device metadata file
    ``SESSIONS_DEVICES`` names (default: its ``devices.yaml``), with the dataset folders that file
    lists, else the folder itself (see ``FleetResource``): what ``sessions run FOLDER --devices
    FILE`` reads, for the UI and the schedule."""
    return FleetResource(**settings_from_env(root=DATA_ENV_VAR, device_metadata=DEVICES_ENV_VAR))


def catalog_from_env() -> CatalogResource:
    """The catalog and caller the environment names (see :func:`settings_from_env`).

    ``SESSIONS_DATA_PATH`` is the data path of a PostgreSQL catalog only, as in the library: an
    embedded catalog (a folder) keeps its data files in the folder whatever that variable says.
    """
    settings = settings_from_env(location=CATALOG_ENV_VAR, user=USER_ENV_VAR)
    if os.environ.get(CATALOG_ENV_VAR, "").startswith(POSTGRES_SCHEMES):
        settings |= settings_from_env(data_path=DATA_PATH_ENV_VAR)
    return CatalogResource(**settings)


def fleet_definitions(
    fleet: FleetResource,
    catalog: CatalogResource,
    executor: dg.ExecutorDefinition = dg.multi_or_in_process_executor,
) -> dg.Definitions:
    """The code location for one fleet folder and one catalog."""
    return dg.Definitions(
        assets=FLEET_ASSETS,
        asset_checks=SESSION_CHECKS,
        jobs=[fleet_job],
        schedules=[daily_fleet_schedule],
        sensors=[new_recordings_sensor],
        resources={"catalog": catalog, "fleet": fleet},
        executor=executor,
    )


def fleet_job_for(fleet: Mapping[str, Any], catalog: Mapping[str, Any]) -> dg.JobDefinition:
    """The fleet job with its resources built from these settings (plain, JSON-able values).

    This is how every step process of a multiprocess run rebuilds the job the run was started
    with (``pipelines.run.execute_fleet``), whatever the environment of the machine says.
    """
    definitions = fleet_definitions(FleetResource(**fleet), CatalogResource(**catalog))
    return definitions.resolve_job_def(fleet_job.name)


defs = fleet_definitions(fleet_from_env(), catalog_from_env(), executor_from_env())
