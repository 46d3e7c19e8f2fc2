"""Dagster resources: the catalog the assets write, and the fleet (device metadata and dataset
folders) they read."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

from sessions_lib import Client
from sessions_lib.errors import InvalidRequestError
from sessions_lib.inference.device_metadata import (
    DEVICE_METADATA_FILE,
    NO_DEVICE_METADATA,
    DeviceMetadata,
    load_device_metadata,
)


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
    """Where the fleet is: its device metadata file and the dataset folders of its recordings.

    Relative paths are resolved from ``root``. The defaults are the embedded fleet: ``data/``, its
    ``devices.yaml``, and the dataset folders that file lists (``datasets:``). Without a device
    metadata file the recordings are still ingested, and no file is mapped to a device.
    """

    root: str = Field(default="data", description="Folder that relative paths are resolved from.")
    device_metadata: str | None = Field(
        default=DEVICE_METADATA_FILE,
        description="Device metadata file, root-relative or absolute; when unset or absent, "
        "recordings are ingested and none is mapped to a device.",
    )
    datasets: list[str] | None = Field(
        default=None,
        description="Dataset folders, root-relative or absolute; unset: the folders the device "
        "metadata lists, else root itself.",
    )
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

    @classmethod
    def for_folders(
        cls, folders: Sequence[Path], devices: Path | None = None, **settings: Any
    ) -> "FleetResource":
        """The fleet that ``sessions run FOLDER... [--devices PATH]`` means, every path absolute.

        - no folder: ``--devices``' file with the folders it lists (else its own folder), or
          without it, ``data``;
        - one folder holding a ``devices.yaml`` and no ``--devices``: that file, and the folders
          it lists (else the folder itself);
        - otherwise the folders are the datasets and ``--devices`` (if any) the metadata.
        """
        if not folders and devices is not None:
            path = devices.resolve()
            return cls(root=str(path.parent), device_metadata=path.name, **settings)
        folders = list(folders) or [Path("data")]
        if devices is None and len(folders) == 1 and (folders[0] / DEVICE_METADATA_FILE).is_file():
            return cls(root=str(folders[0].resolve()), **settings)
        return cls(
            root=str(Path.cwd()),
            device_metadata=None if devices is None else str(devices.resolve()),
            datasets=[str(folder.resolve()) for folder in folders],
            **settings,
        )

    def metadata_file(self) -> Path | None:
        """The device metadata file, when one is set and exists."""
        if self.device_metadata is None:
            return None
        path = Path(setting(self.root)) / setting(self.device_metadata)
        return path if path.exists() else None

    def metadata(self) -> DeviceMetadata:
        path = self.metadata_file()
        return NO_DEVICE_METADATA if path is None else load_device_metadata(path)

    def dataset_folders(self) -> list[Path]:
        """The dataset folders, absolute: a dataset is known by its resolved root."""
        root = Path(setting(self.root))
        if self.datasets is not None:
            return [(root / folder).resolve() for folder in self.datasets]
        return list(self.metadata().datasets) or [root.resolve()]

    def check(self) -> None:
        """Refuse, before any run starts, invalid device metadata or a dataset folder that does
        not exist (``InvalidRequestError``)."""
        metadata = self.metadata()
        for folder in self.dataset_folders():
            problem = folder_problem(folder)
            if problem:
                listed = f" (listed in {self.metadata_file()})" if folder in metadata.datasets else ""
                raise InvalidRequestError(problem + listed)


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be a dataset folder, or ``None`` when it can."""
    if not folder.exists():
        return f"dataset folder {folder} does not exist"
    if not folder.is_dir():
        return f"dataset folder {folder} is not a folder"
    return None
