"""The resources' former home: they live in ``pipelines.defs.resources`` now.

Kept so ``from pipelines.resources import ...`` (the ingestion benchmark) keeps working until it
imports ``pipelines.defs.resources``.
"""

from pipelines.defs.resources import CatalogResource, FleetResource

__all__ = ["CatalogResource", "FleetResource"]
