"""What every command shares: the consoles, the common options, and the client a command runs with.

A command runs inside ``command(...)``: a library error becomes ``error: <message>`` on stderr and
exit code 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from sessions_lib.errors import CatalogError, SessionsError
from sessions_lib.model.timestamps import NS_PER_US, UNIX_EPOCH, format_ns

if TYPE_CHECKING:  # the client (and with it DuckDB) loads when a command opens a catalog
    from sessions_lib.client import Client

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def parse_timestamp_ns(value: str) -> int:
    """A point in time: integer Unix-epoch nanoseconds, or an ISO-8601 time (UTC unless it says)."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither an ISO-8601 time nor integer nanoseconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - UNIX_EPOCH) // timedelta(microseconds=1) * NS_PER_US


CatalogOption = Annotated[
    str | None,
    typer.Option(
        "--catalog",
        help="Catalog folder, or a PostgreSQL URL with $SESSIONS_DATA_PATH naming its data "
        "(default: $SESSIONS_CATALOG or ./.sessions).",
    ),
]
OrgOption = Annotated[str | None, typer.Option("--org", help="Org to act in, when you belong to several.")]
JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print JSON on stdout (timestamps as int ns and ISO) instead of tables."),
]
SessionIdArgument = Annotated[str, typer.Argument(help="Session id (se_...).", show_default=False)]
SinceOption = Annotated[
    int | None,
    typer.Option(
        "--since",
        parser=parse_timestamp_ns,
        metavar="ISO|NS",
        help="Only what ends at or after this time (ISO-8601 UTC or ns).",
    ),
]
UntilOption = Annotated[
    int | None,
    typer.Option(
        "--until",
        parser=parse_timestamp_ns,
        metavar="ISO|NS",
        help="Only what starts at or before this time (ISO-8601 UTC or ns).",
    ),
]


def catalog_client(catalog: str | None, *, must_exist: bool = False) -> Client:
    """The caller of the environment, on ``catalog`` if given.

    With ``must_exist`` a folder without a catalog is refused instead of created empty: a read
    (or a change to existing sessions) on a mistyped path should say so, not answer "nothing".
    """
    from sessions_lib.client import Client

    base = Client.from_env()
    client = base if catalog is None else Client(catalog, user=base.user, org_ids=base.org_ids)
    location = client.catalog.location
    if must_exist and not location.exists():
        path = location.metadata_path
        raise CatalogError(
            f"no catalog in {path.parent} ({path.name} is missing): "
            "create one with `sessions ingest` or `sessions run`, or pass --catalog"
        )
    return client


def fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code=1)


def refuse_reversed_window(since: int | None, until: int | None) -> None:
    """Refuse ``--since`` after ``--until`` as a bad argument (exit 2): no time lies between them."""
    if since is not None and until is not None and since > until:
        raise typer.BadParameter(
            f"--since {format_ns(since)} is after --until {format_ns(until)}: no time lies between them"
        )


@contextmanager
def command(catalog: str | None, *, must_exist: bool = True) -> Iterator[Client]:
    """The command's client; a library error becomes ``error: <message>`` on stderr and exit 1."""
    client: Client | None = None
    try:
        client = catalog_client(catalog, must_exist=must_exist)
        yield client
    except SessionsError as error:
        fail(str(error))
    finally:
        if client is not None:
            client.catalog.close()
