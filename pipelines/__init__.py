"""Dagster code location of the sessions pipeline."""

from pipelines.definitions import defs

__all__ = ["defs"]
