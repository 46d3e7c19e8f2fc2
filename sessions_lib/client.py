"""The client: which catalog, which user acts, and which orgs that user belongs to.

This is what the documented ``roboto_client`` argument takes. Without one, the ambient client
is used, configured by environment variables:

- ``SESSIONS_CATALOG``: catalog folder (default ``./.sessions``), or a PostgreSQL URL
  (``postgresql://user@host/db``) with ``SESSIONS_DATA_PATH`` naming its data (``s3://bucket/prefix/``)
- ``SESSIONS_USER``: who is recorded in ``created_by``/``modified_by`` (default: the OS user)
- ``SESSIONS_ORG_IDS``: comma-separated orgs of the caller (default ``org_local``)
"""

from __future__ import annotations

import getpass
import os
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from sessions_lib.catalog import Catalog, CatalogLocation
from sessions_lib.errors import InvalidRequestError, PermissionDeniedError

USER_ENV_VAR = "SESSIONS_USER"
ORG_IDS_ENV_VAR = "SESSIONS_ORG_IDS"
DEFAULT_ORG_ID = "org_local"
DEFAULT_PAGE_SIZE = 500


class Client:
    """A caller bound to a catalog.

    >>> client = Client("/tmp/fleet", user="ana", org_ids=["org_a", "org_b"])  # doctest: +SKIP
    >>> Session.create(name="run-1", caller_org_id="org_a", roboto_client=client)  # doctest: +SKIP
    """

    def __init__(
        self,
        catalog: Catalog | CatalogLocation | str | os.PathLike[str] | None = None,
        *,
        user: str | None = None,
        org_ids: Sequence[str] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        data_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if isinstance(catalog, Catalog):
            self.catalog = catalog
        elif isinstance(catalog, CatalogLocation):
            self.catalog = Catalog(catalog)
        elif catalog is None:
            self.catalog = Catalog(CatalogLocation.ambient())
        else:
            self.catalog = Catalog(CatalogLocation.from_setting(catalog, data_path))
        self.user = user or os.environ.get(USER_ENV_VAR) or getpass.getuser()
        if org_ids is not None and (isinstance(org_ids, str) or not org_ids):
            raise InvalidRequestError(f"org_ids must be a non-empty list of org ids, got {org_ids!r}")
        self.org_ids: tuple[str, ...] = tuple(org_ids) if org_ids is not None else (DEFAULT_ORG_ID,)
        if not isinstance(page_size, int) or page_size < 1:
            raise InvalidRequestError(f"page_size must be at least 1, got {page_size}")
        self.page_size = page_size

    @classmethod
    def from_env(cls) -> Client:
        """The client the environment describes (see the module docstring)."""
        org_ids = [o.strip() for o in os.environ.get(ORG_IDS_ENV_VAR, "").split(",") if o.strip()]
        return cls(None, org_ids=org_ids or None)

    def as_caller(self, *, user: str | None = None, org_ids: Sequence[str] | None = None) -> Client:
        """Another caller on the same catalog (sharing its connection)."""
        return Client(
            self.catalog,
            user=user or self.user,
            org_ids=self.org_ids if org_ids is None else org_ids,
            page_size=self.page_size,
        )

    def resolve_org(self, org_id: str | None, argument: str = "caller_org_id") -> str:
        """The org a call acts in: the one given (if the caller belongs to it), else the only one."""
        if org_id is not None:
            if org_id not in self.org_ids:
                raise PermissionDeniedError(
                    f"user {self.user!r} is not a member of org {org_id!r} "
                    f"(member of: {', '.join(self.org_ids)})"
                )
            return org_id
        if len(self.org_ids) > 1:
            raise InvalidRequestError(
                f"user {self.user!r} belongs to several orgs ({', '.join(self.org_ids)}): "
                f"pass {argument} to say which one this call acts in"
            )
        return self.org_ids[0]

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return (
            f"Client(catalog={str(self.catalog.location)!r}, user={self.user!r}, "
            f"org_ids={list(self.org_ids)!r})"
        )


_ambient: Client | None = None
_ambient_lock = threading.Lock()


def default_client() -> Client:
    """The ambient client: the one set with :func:`set_default_client`, else ``Client.from_env()``."""
    global _ambient
    with _ambient_lock:
        if _ambient is None:
            _ambient = Client.from_env()
        return _ambient


def set_default_client(client: Client | None) -> None:
    """Make ``client`` the ambient one (``None`` goes back to the environment's)."""
    global _ambient
    with _ambient_lock:
        _ambient = client


def resolve_client(client: Client | None) -> Client:
    return client if client is not None else default_client()
