"""What every documented object shares: its record, the client it was loaded with, and its org.

``Session``, ``Device``, ``Dataset`` and ``File`` each hold the latest committed record of their row;
a method that changes the row runs one transaction and keeps the record it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from sessions_lib.catalog.lake import Tx
from sessions_lib.catalog.lookups import iterate_by_id, load_one
from sessions_lib.catalog.paging import paginate
from sessions_lib.client import Client, resolve_client
from sessions_lib.model.validation import validate_id


class _OrgRow(Protocol):
    @property
    def org_id(self) -> str: ...


R = TypeVar("R", bound=_OrgRow)
T = TypeVar("T")


class CatalogObject(Generic[R]):
    """A row of the catalog as an object: ``kind`` names its table (``{kind}s``) and id column."""

    kind: ClassVar[str]
    record_type: ClassVar[Callable[..., Any]]
    repr_fields: ClassVar[tuple[str, ...]]

    def __init__(self, record: R, roboto_client: Client | None = None) -> None:
        self._record = record
        self._client = resolve_client(roboto_client)

    @property
    def record(self) -> R:
        return self._record

    @property
    def org_id(self) -> str:
        return self._record.org_id

    @classmethod
    def _load(cls, id_value: str, owner_org_id: str | None, roboto_client: Client | None) -> Self:
        """The object of this id in the caller's org; unknown ids and other orgs' rows are not found."""
        validate_id(f"{cls.kind}_id", id_value)
        client = resolve_client(roboto_client)
        org_id = client.resolve_org(owner_org_id, "owner_org_id")
        record = client.catalog.read(lambda tx: load_one(tx, cls.record_type, cls.kind, org_id, id_value))
        return cls(record, client)

    @classmethod
    def _all_of_org(cls, org_id: str | None, roboto_client: Client | None) -> Generator[Self, None, None]:
        """Every object of the caller's org, by id, lazily."""
        client = resolve_client(roboto_client)
        org = client.resolve_org(org_id, "org_id")
        records = iterate_by_id(client.catalog, client.page_size, cls.record_type, cls.kind, org)
        return (cls(record, client) for record in records)

    @property
    def _org(self) -> str:
        """The object's org, once the caller is confirmed to be a member of it."""
        return self._client.resolve_org(self._record.org_id, "owner_org_id")

    def _pages(
        self,
        fetch_page: Callable[[Tx, tuple[Any, ...], int], list[T]],
        key: Callable[[T], tuple[Any, ...]],
        first: tuple[Any, ...],
    ) -> Generator[T, None, None]:
        """Rows of a listing, one page (and transaction) at a time."""
        return paginate(self._client.catalog, self._client.page_size, fetch_page, key, first)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self._record, name)!r}" for name in self.repr_fields)
        return f"{type(self).__name__}({shown})"
