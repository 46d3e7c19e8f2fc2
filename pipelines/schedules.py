"""When the pipeline runs: every day, and whenever new recordings land (see sensors.py)."""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

fleet_job = define_asset_job("fleet_job", selection=AssetSelection.groups("fleet"))

daily_fleet_schedule = ScheduleDefinition(job=fleet_job, cron_schedule="0 2 * * *", execution_timezone="UTC")
