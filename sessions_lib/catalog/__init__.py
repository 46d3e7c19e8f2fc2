"""The transactional DuckLake catalog: location, schema, transactions with retry."""

from sessions_lib.catalog.lake import LAKE, Catalog, RetryPolicy, Tx, is_retryable
from sessions_lib.catalog.location import CATALOG_ENV_VAR, CatalogLocation

__all__ = [
    "CATALOG_ENV_VAR",
    "LAKE",
    "Catalog",
    "CatalogLocation",
    "RetryPolicy",
    "Tx",
    "is_retryable",
]
