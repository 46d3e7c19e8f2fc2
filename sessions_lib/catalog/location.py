"""Where a catalog lives: its metadata database and the folder of its Parquet data files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CATALOG_ENV_VAR = "SESSIONS_CATALOG"
DEFAULT_CATALOG_DIR = ".sessions"
METADATA_FILE = "catalog.sqlite"
DATA_DIR = "data"


@dataclass(frozen=True, slots=True)
class CatalogLocation:
    """An embedded catalog: a SQLite metadata file and a local data folder.

    ``CatalogLocation.from_setting("/srv/fleet")`` puts the metadata at ``/srv/fleet/catalog.sqlite``
    and the Parquet files under ``/srv/fleet/data/``; both are created on first use.
    """

    metadata_path: Path
    data_path: Path

    @classmethod
    def from_setting(cls, setting: str | os.PathLike[str]) -> CatalogLocation:
        """A catalog folder given as a path (``~`` expanded, made absolute)."""
        root = Path(setting).expanduser().absolute()
        return cls(metadata_path=root / METADATA_FILE, data_path=root / DATA_DIR)

    @classmethod
    def ambient(cls) -> CatalogLocation:
        """``$SESSIONS_CATALOG`` if set, else ``./.sessions`` in the working directory."""
        return cls.from_setting(os.environ.get(CATALOG_ENV_VAR) or DEFAULT_CATALOG_DIR)

    def attach_sql(self, alias: str) -> str:
        """The ATTACH statement for this location (WAL journal, so readers never block writers)."""
        return (
            f"ATTACH 'ducklake:sqlite:{_quote(self.metadata_path)}' AS {alias} "
            f"(DATA_PATH '{_quote(self.data_path)}/', META_JOURNAL_MODE 'WAL', "
            f"META_BUSY_TIMEOUT 10000)"
        )

    def prepare(self) -> None:
        """Create the folders the catalog needs."""
        self.metadata_path.parent.mkdir(parents=True, exist_ok=True)
        self.data_path.mkdir(parents=True, exist_ok=True)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
