"""Lazy keyset pagination: one page per transaction, resumed after the last key seen.

Rows added or removed between pages never make a page repeat or skip a row that stayed.
"""

from collections.abc import Callable, Generator
from functools import partial
from typing import Any, TypeVar

from sessions_lib.catalog.lake import Catalog, Tx

T = TypeVar("T")

FetchPage = Callable[[Tx, tuple[Any, ...], int], list[T]]


def paginate(
    catalog: Catalog,
    page_size: int,
    fetch_page: FetchPage[T],
    key: Callable[[T], tuple[Any, ...]],
    first: tuple[Any, ...],
) -> Generator[T, None, None]:
    """Yield rows page by page; ``fetch_page(tx, after_key, limit)`` returns the next page.

    ``first`` is a key that sorts before every row (for example ``("",)`` for string ids).
    """
    after = first
    while True:
        page = catalog.read(partial(_page, fetch_page, after, page_size))
        yield from page
        if len(page) < page_size:
            return
        after = key(page[-1])


def _page(fetch_page: FetchPage[T], after: tuple[Any, ...], limit: int, tx: Tx) -> list[T]:
    return fetch_page(tx, after, limit)
