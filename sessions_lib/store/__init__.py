"""The catalog's writes and reads by entity: functions taking an open ``Tx``, one module per entity.

Each module owns its entity's SQL and the checks that need the catalog (an id exists, a name is
free); the api composes them into one transaction per call.
"""
