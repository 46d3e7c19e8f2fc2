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
    folders: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Dataset folders of recordings. One folder holding a devices.yaml is the fleet that "
            "file describes (its datasets: list, else the folder itself). Default: data.",
            show_default=False,
        ),
    ] = None,
    devices: Annotated[
        Path | None,
        typer.Option(
            "--devices",
            help="Device metadata file (devices.yaml); the FOLDERS given are then its datasets.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    catalog: CatalogOption = None,
) -> None:
    """Run the main pipeline job over the dataset FOLDERS and print its summary; exit 1 if a step or
    check failed.

    Every asset and check runs in-process, in the org the device metadata names. Without device
    metadata the recordings are ingested and no file is mapped to a device.
    """
    from pipelines.defs.resources import folder_problem  # Dagster loads only when the pipeline runs
    from pipelines.run import run_fleet

    given = folders or ([] if devices else [Path("data")])
    for folder in given:
        problem = folder_problem(folder)
        if problem:
            raise typer.BadParameter(problem, param_hint="FOLDERS")
    location = None if catalog is None else str(catalog)
    with command(catalog, must_exist=False):
        shown = ", ".join(str(f) for f in given) or str(devices)
        with err_console.status(f"running the pipeline over {shown}"):
            passed, report = run_fleet(given, location, devices=devices)
    console.print(report, highlight=False, markup=False)
    if not passed:
        raise typer.Exit(code=1)


if __name__ == "__main__":  # python -m pipelines.cli, as the installed `sessions` script
    app()
