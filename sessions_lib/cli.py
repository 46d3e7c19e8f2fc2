"""The ``sessions`` command: a thin shell over the library.

sessions ingest recordings/2026-04-23 --catalog /srv/fleet
sessions summary --catalog /srv/fleet
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sessions_lib.client import Client
from sessions_lib.errors import SessionsError
from sessions_lib.ingest import ingest_folder
from sessions_lib.readers.tabular import NS_PER_UNIT, TabularOptions
from sessions_lib.summary import summarize

app = typer.Typer(no_args_is_help=True, help="Robotics sessions: recordings, extents and sessions.")
console = Console(soft_wrap=True)

CatalogOption = Annotated[
    Path | None, typer.Option("--catalog", help="Catalog folder (default: $SESSIONS_CATALOG or ./.sessions).")
]
OrgOption = Annotated[str | None, typer.Option("--org", help="Org to act in, when you belong to several.")]


def _client(catalog: Path | None) -> Client:
    base = Client.from_env()
    return base if catalog is None else Client(catalog, user=base.user, org_ids=base.org_ids)


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="Folder of recordings; it becomes (or updates) a dataset.")],
    catalog: CatalogOption = None,
    org: OrgOption = None,
    name: Annotated[str | None, typer.Option(help="Dataset name (default: the folder's name).")] = None,
    timestamp_column: Annotated[
        str, typer.Option(help="Timestamp column of Parquet/CSV files.")
    ] = "timestamp",
    timestamp_unit: Annotated[str, typer.Option(help=f"Its unit: one of {', '.join(NS_PER_UNIT)}.")] = "ns",
) -> None:
    """Read every recording under FOLDER into the catalog (unchanged files are skipped)."""
    try:
        tabular = TabularOptions(timestamp_column=timestamp_column, timestamp_unit=timestamp_unit)  # type: ignore[arg-type]
        report = ingest_folder(
            folder,
            dataset_name=name,
            tabular=tabular,
            show_progress=True,
            org_id=org,
            roboto_client=_client(catalog),
        )
    except SessionsError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    console.print(report.summary(), highlight=False)


@app.command()
def summary(catalog: CatalogOption = None, org: OrgOption = None) -> None:
    """One line per session: name, devices, bounds, files and topics."""
    try:
        console.print(summarize(org, roboto_client=_client(catalog)), highlight=False)
    except SessionsError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
