"""Dagster resources: the catalog the assets write, and the fleet folder they read."""

from pathlib import Path
from typing import overload

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

from sessions_lib import Client
from sessions_lib.inference.device_metadata import DeviceMetadata, load_device_metadata


@overload
def setting(value: str) -> str: ...
@overload
def setting(value: str | None) -> str | None: ...
def setting(value: str | None) -> str | None:
    """A setting's value: an ``EnvVar`` read now. Dagster reads them itself when a run starts a
    resource; this serves a resource used outside a run (``defs.resources["catalog"].client()``)."""
    return value.get_value() if isinstance(value, EnvVar) else value


class CatalogResource(ConfigurableResource):
    """Which catalog, user and orgs the pipeline acts as.

    Whatever is left unset comes from the library's ambient client (``SESSIONS_CATALOG``,
    ``SESSIONS_USER``, ``SESSIONS_ORG_IDS``), so a notebook, the CLI and a Dagster run see the
    same catalog as the same caller unless told otherwise.
    """

    location: str | None = Field(
        default=None,
        description="Catalog folder or PostgreSQL URL (postgresql://...); unset: the library default.",
    )
    data_path: str | None = Field(
        default=None,
        description="Data files of a PostgreSQL catalog (s3://bucket/prefix/); unset: $SESSIONS_DATA_PATH.",
    )
    user: str | None = Field(default=None, description="Recorded as created_by/modified_by.")
    org_ids: list[str] | None = Field(default=None, description="Orgs the pipeline acts in.")

    _client: Client | None = PrivateAttr(default=None)

    def client(self) -> Client:
        """The library client these settings describe, made on first use and kept: the steps a
        process runs share one catalog connection, however many batches an in-process run maps."""
        if self._client is None:
            ambient = Client.from_env()
            self._client = Client(
                setting(self.location) or ambient.catalog.location,
                user=setting(self.user) or ambient.user,
                org_ids=self.org_ids or ambient.org_ids,
                data_path=setting(self.data_path),
            )
        return self._client

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Close the catalog connection once the run (or this step's process) is done with it."""
        if self._client is not None:
            self._client.catalog.close()


class FleetResource(ConfigurableResource):
    """The fleet folder: device metadata and dataset folders of recordings (``data/`` by default)."""

    root: str = Field(default="data", description="Folder holding the device metadata and the datasets.")
    device_metadata: str = Field(default="devices.yaml", description="Device metadata file, under root.")
    datasets: list[str] = Field(default_factory=lambda: ["fleet"], description="Dataset folders, under root.")
    files_per_batch: int = Field(
        default=8,
        ge=1,
        description="Recordings per ingestion step: the steps of a run are read in parallel.",
    )
    verify: bool = Field(
        default=False,
        description="Decide that a recording is unchanged by a full content hash (every byte read) "
        "rather than by its size, modification time and the fingerprint of its first and last MiB.",
    )

    def metadata(self) -> DeviceMetadata:
        return load_device_metadata(Path(setting(self.root)) / self.device_metadata)

    def dataset_folders(self) -> list[Path]:
        return [Path(setting(self.root)) / name for name in self.datasets]
