"""Dagster resources: the catalog the assets read and write, shared with the library's default."""

from dagster import ConfigurableResource
from pydantic import Field

from sessions_lib import Client
from sessions_lib.catalog import CatalogLocation


class CatalogResource(ConfigurableResource):
    """Which catalog, user and orgs the pipeline acts as.

    Left unset, ``location`` is the library's ambient default (``$SESSIONS_CATALOG``, else
    ``./.sessions``), so a notebook, the CLI and a Dagster run see the same catalog.
    """

    location: str | None = Field(default=None, description="Catalog folder; unset = library default.")
    user: str = Field(default="dagster", description="Recorded as created_by/modified_by.")
    org_ids: list[str] = Field(
        default_factory=lambda: ["org_local"], description="Orgs the pipeline acts in."
    )

    def client(self) -> Client:
        location = CatalogLocation.from_setting(self.location) if self.location else CatalogLocation.ambient()
        return Client(location, user=self.user, org_ids=self.org_ids)
