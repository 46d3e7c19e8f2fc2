"""Where a catalog lives: its metadata database and the place of its Parquet data files.

Two backends, one setting:

- a folder (the default, ``./.sessions``): SQLite metadata in ``<folder>/catalog.sqlite`` and data
  files under ``<folder>/data/``, for one machine; the folder can be copied or moved whole;
- a PostgreSQL connection string (``postgresql://user@host:5432/fleet``) with a data path, usually
  ``s3://bucket/prefix/``, for a team: every machine that reaches both sees the same catalog.

S3 credentials and endpoint come from the usual variables (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sessions_lib.errors import InvalidRequestError

CATALOG_ENV_VAR = "SESSIONS_CATALOG"
DATA_PATH_ENV_VAR = "SESSIONS_DATA_PATH"
DEFAULT_CATALOG_DIR = ".sessions"
METADATA_FILE = "catalog.sqlite"
DATA_DIR = "data"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
OBJECT_STORE_SCHEMES = ("s3://",)


@dataclass(frozen=True, slots=True)
class CatalogLocation:
    """A catalog's metadata database (a SQLite file or a PostgreSQL URL) and its data path.

    >>> CatalogLocation.from_setting("/srv/fleet").metadata
    '/srv/fleet/catalog.sqlite'
    >>> CatalogLocation.from_setting("postgresql://ci@db/fleet", data_path="s3://lake/fleet").data_path
    's3://lake/fleet/'
    """

    metadata: str
    data_path: str

    @classmethod
    def from_setting(
        cls, setting: str | os.PathLike[str], data_path: str | os.PathLike[str] | None = None
    ) -> CatalogLocation:
        """A catalog folder, or a PostgreSQL URL with ``data_path`` (default ``$SESSIONS_DATA_PATH``)."""
        text = os.fspath(setting)
        data = os.fspath(data_path) if data_path else None
        if text.startswith(POSTGRES_SCHEMES):
            data = data or os.environ.get(DATA_PATH_ENV_VAR)
            if not data:
                raise InvalidRequestError(
                    f"the PostgreSQL catalog {redacted(text)} needs a data path for its Parquet files: "
                    f"pass data_path= or set {DATA_PATH_ENV_VAR} (e.g. s3://bucket/prefix/)"
                )
            return cls(metadata=text, data_path=_as_folder(data))
        root = Path(text).expanduser().absolute()
        return cls(metadata=str(root / METADATA_FILE), data_path=_as_folder(data or root / DATA_DIR))

    @classmethod
    def ambient(cls) -> CatalogLocation:
        """``$SESSIONS_CATALOG`` if set, else ``./.sessions`` in the working directory."""
        return cls.from_setting(os.environ.get(CATALOG_ENV_VAR) or DEFAULT_CATALOG_DIR)

    @property
    def on_postgres(self) -> bool:
        return self.metadata.startswith(POSTGRES_SCHEMES)

    @property
    def on_object_store(self) -> bool:
        return self.data_path.startswith(OBJECT_STORE_SCHEMES)

    @property
    def metadata_path(self) -> Path:
        """The SQLite metadata file (embedded catalogs only)."""
        if self.on_postgres:
            raise InvalidRequestError(f"the catalog {self} keeps its metadata in PostgreSQL, not a file")
        return Path(self.metadata)

    @property
    def data_in_folder(self) -> bool:
        """Whether this is a catalog folder keeping its data files in its own ``data/``.

        Such a folder can be copied or moved whole. DuckLake stores the data path given when
        the catalog was created (absolute) and resolves a relative one against the working
        directory, not the metadata file; so every attach passes the folder's ``data/`` where it
        is now, with ``OVERRIDE_DATA_PATH`` (for this attach only, nothing is written). Data
        files are stored relative to the data path, so they are found, and written, there.
        """
        return not self.on_postgres and self.data_path == _as_folder(self.metadata_path.parent / DATA_DIR)

    def exists(self) -> bool:
        """Whether the catalog was created already (always assumed for PostgreSQL)."""
        return self.on_postgres or self.metadata_path.is_file()

    def extensions(self) -> tuple[str, ...]:
        """The DuckDB extensions attaching this location needs, dependencies first."""
        metadata = "postgres_scanner" if self.on_postgres else "sqlite_scanner"
        storage = ("httpfs",) if self.on_object_store else ()
        return (metadata, *storage, "ducklake")

    def setup_sql(self, environ: Mapping[str, str] = os.environ) -> list[str]:
        """Statements to run before ATTACH: the S3 secret built from the AWS variables."""
        if not self.on_object_store:
            return []
        options = {
            "KEY_ID": environ.get("AWS_ACCESS_KEY_ID"),
            "SECRET": environ.get("AWS_SECRET_ACCESS_KEY"),
            "SESSION_TOKEN": environ.get("AWS_SESSION_TOKEN"),
            "REGION": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
        }
        endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
        if endpoint:  # an S3-compatible server (MinIO, moto, Ceph): path-style URLs
            url = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
            options |= {"ENDPOINT": url.netloc, "URL_STYLE": "path"}
            use_ssl = "true" if url.scheme == "https" else "false"
        clauses = [f"{key} {_literal(value)}" for key, value in options.items() if value]
        if endpoint:
            clauses.append(f"USE_SSL {use_ssl}")
        return [f"CREATE OR REPLACE SECRET sessions_s3 (TYPE s3, {', '.join(clauses)})"]

    def attach_sql(self, alias: str, read_only: bool = False) -> str:
        """The ATTACH statement for this location; ``read_only``: DuckDB refuses every write to it."""
        mode = ", READ_ONLY" if read_only else ""
        if self.on_postgres:
            return f"ATTACH {_literal('ducklake:postgres:' + self.metadata)} AS {alias} " + (
                f"(DATA_PATH {_literal(self.data_path)}{mode})"
            )
        # WAL journal, so readers never block writers.
        override = ", OVERRIDE_DATA_PATH true" if self.data_in_folder else ""
        return (
            f"ATTACH {_literal('ducklake:sqlite:' + self.metadata)} AS {alias} "
            f"(DATA_PATH {_literal(self.data_path)}{override}{mode}, "
            "META_JOURNAL_MODE 'WAL', META_BUSY_TIMEOUT 10000)"
        )

    def prepare(self) -> None:
        """Create the local folders the catalog needs (object stores need none)."""
        if not self.on_postgres:
            self.metadata_path.parent.mkdir(parents=True, exist_ok=True)
        if not self.on_object_store:
            Path(self.data_path).mkdir(parents=True, exist_ok=True)

    def __str__(self) -> str:
        return f"{redacted(self.metadata)} (data in {self.data_path})"


def redacted(metadata: str) -> str:
    """``metadata`` with any password in a connection URL replaced by ``***``."""
    url = urlsplit(metadata)
    if url.password is None:
        return metadata
    netloc = url.netloc.replace(f":{url.password}@", ":***@", 1)
    return url._replace(netloc=netloc).geturl()


def _as_folder(path: str | os.PathLike[str]) -> str:
    text = os.fspath(path)
    if not text.startswith(OBJECT_STORE_SCHEMES):
        text = str(Path(text).expanduser().absolute())
    return text if text.endswith("/") else text + "/"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
