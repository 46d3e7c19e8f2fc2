"""The ``sessions`` command: the library's commands (``sessions_lib.cli``) and ``run``.

``run`` runs the pipeline's Dagster job, so it lives here, above the library: ``sessions_lib`` never
imports ``pipelines``. Dagster is imported only when ``run`` is called.
"""

from pathlib import Path
from typing import Annotated

import typer

from sessions_lib.cli import app
from sessions_lib.cli.shell import CatalogOption, command, console, err_console

__all__ = ["app"]


@app.command()
def run(
    data_dir: Annotated[
        Path,
        typer.Argument(
            help="Fleet folder: devices.yaml and the dataset folders.", exists=True, file_okay=False
        ),
    ] = Path("data"),
    catalog: CatalogOption = None,
) -> None:
    """Run the main pipeline job over DATA_DIR and print its summary; exit 1 if a step or check failed.

    Every asset and check runs in-process, in the org named by DATA_DIR/devices.yaml.
    """
    from pipelines.defs.resources import FleetResource  # Dagster loads only when the pipeline runs
    from pipelines.run import run_fleet

    location = None if catalog is None else str(catalog)
    with command(catalog, must_exist=False):
        FleetResource(root=str(data_dir)).metadata()  # a folder without valid metadata fails here, briefly
        with err_console.status(f"running the pipeline over {data_dir}"):
            passed, report = run_fleet(data_dir, location)
    console.print(report, highlight=False, markup=False)
    if not passed:
        raise typer.Exit(code=1)


if __name__ == "__main__":  # python -m pipelines.cli, as the installed `sessions` script
    app()
