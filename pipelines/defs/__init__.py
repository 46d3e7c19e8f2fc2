"""The code location's definitions, one module per concern, assembled in ``pipelines.definitions``.

- ``ingestion``: the dataset folders' recordings read into topics and extents, and the sensor
  that notices new ones;
- ``devices``: the device metadata file reconciled with the catalog;
- ``sessions``: sessions inferred and written, and the checks of the catalog's invariants;
- ``maintenance``: the catalog compacted after each run;
- ``jobs``: the fleet job (every asset) and its daily schedule;
- ``resources``: the catalog and the fleet folder.
"""

FLEET_GROUP = "fleet"
"""The asset group of every asset here: what the fleet job selects."""
