"""The code location, assembled in one place: ``dagster dev -m pipelines`` loads ``defs``."""

from dagster import Definitions

from pipelines.resources import CatalogResource

defs = Definitions(resources={"catalog": CatalogResource()})
