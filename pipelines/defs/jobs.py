"""When the pipeline runs: every day, and whenever new recordings land (the sensor, in ingestion)."""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from pipelines.defs import FLEET_GROUP

fleet_job = define_asset_job("fleet_job", selection=AssetSelection.groups(FLEET_GROUP))

daily_fleet_schedule = ScheduleDefinition(job=fleet_job, cron_schedule="0 2 * * *", execution_timezone="UTC")
