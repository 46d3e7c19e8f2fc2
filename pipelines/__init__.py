"""The Dagster code location of the sessions pipeline.

``pipelines.definitions`` assembles it (``defs``) from the definitions by concern in ``defs/``;
``dagster dev`` finds it through ``[tool.dagster]`` in pyproject.toml. This package itself imports
nothing, so the ``sessions`` command (``pipelines.cli``) loads Dagster only when it runs the job.
"""
