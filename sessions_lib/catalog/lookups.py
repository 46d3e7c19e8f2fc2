"""Org-scoped lookups by id, refusing what the org does not have, and listings by id.

``kind`` names the entity (``"device"``): its table is ``{kind}s`` and its key ``{kind}_id``.
"""

from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

from sessions_lib.catalog.lake import Catalog, Tx
from sessions_lib.catalog.paging import paginate
from sessions_lib.errors import NotFoundError

R = TypeVar("R")


def load_one(tx: Tx, record_type: Callable[..., R], kind: str, org_id: str, id_value: str) -> R:
    """The ``{kind}s`` row with ``{kind}_id = id_value`` in the org, as a record, or not found.

    >>> load_one(tx, DeviceRecord, "device", "org_a", "dv_lead")  # doctest: +SKIP
    """
    found = tx.records(
        record_type,
        f"SELECT * FROM {kind}s WHERE org_id = $org_id AND {kind}_id = $id_value",
        org_id=org_id,
        id_value=id_value,
    )
    if not found:
        raise NotFoundError(kind, id_value, org_id)
    return found[0]


def require_all(tx: Tx, kind: str, org_id: str, wanted: Sequence[str]) -> None:
    """Refuse the request unless every id exists in the org (other orgs' ids are not found)."""
    if not wanted:
        return
    found = {
        row[0]
        for row in tx.rows(
            f"SELECT {kind}_id FROM {kind}s WHERE org_id = $org_id AND list_contains($ids, {kind}_id)",
            org_id=org_id,
            ids=list(wanted),
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFoundError(kind, missing, org_id)


def require_one(tx: Tx, kind: str, org_id: str, id_value: str) -> None:
    """Refuse the request unless the id exists in the org."""
    if not tx.exists(f"{kind}s", org_id, **{f"{kind}_id": id_value}):
        raise NotFoundError(kind, id_value, org_id)


def iterate_by_id(
    catalog: Catalog, page_size: int, record_type: Callable[..., R], kind: str, org_id: str
) -> Generator[R, None, None]:
    """The org's ``{kind}s`` rows in id order, lazily, page by page."""
    sql = (
        f"SELECT * FROM {kind}s WHERE org_id = $org_id AND {kind}_id > $after ORDER BY {kind}_id LIMIT $limit"
    )

    def fetch_page(tx: Tx, after: tuple[Any, ...], limit: int) -> list[R]:
        return tx.records(record_type, sql, org_id=org_id, after=after[0], limit=limit)

    return paginate(catalog, page_size, fetch_page, lambda r: (getattr(r, f"{kind}_id"),), first=("",))
