"""Org-scoped lookups by id inside a transaction, refusing what the org does not have."""

from collections.abc import Callable, Sequence
from typing import TypeVar

from sessions_lib.catalog import Tx
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
        raise NotFoundError(f"{kind} {id_value!r} not found in org {org_id!r}")
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
        raise NotFoundError(f"{kind}(s) {missing} not found in org {org_id!r}; nothing was changed")
