"""The code location, assembled in one place: ``dagster dev -m pipelines`` loads ``defs``.

Settings come from the environment, so one code location serves every deployment:
``SESSIONS_DATA`` (the fleet folder, default ``data``) and the library's own ``SESSIONS_CATALOG``,
``SESSIONS_USER``, ``SESSIONS_ORG_IDS``.
"""

import os

from dagster import Definitions

from pipelines.assets import FLEET_ASSETS
from pipelines.checks import FLEET_CHECKS
from pipelines.resources import CatalogResource, FleetResource
from pipelines.schedules import daily_fleet_schedule, fleet_job
from pipelines.sensors import new_recordings_sensor

defs = Definitions(
    assets=FLEET_ASSETS,
    asset_checks=FLEET_CHECKS,
    jobs=[fleet_job],
    schedules=[daily_fleet_schedule],
    sensors=[new_recordings_sensor],
    resources={
        "catalog": CatalogResource(),
        "fleet": FleetResource(root=os.environ.get("SESSIONS_DATA", "data")),
    },
)
