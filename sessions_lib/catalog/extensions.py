"""Load DuckDB's extensions from their PyPI packages, so nothing is downloaded at run time.

Each ``duckdb-extension-<name>`` package ships ``extensions/v<duckdb version>/<name>.duckdb_extension``;
the packages are pinned to the project's exact DuckDB version in ``pyproject.toml``.
"""

from importlib import resources

import duckdb

from sessions_lib.errors import CatalogError

# extension name -> the PyPI package (import name) that ships its binary
EXTENSION_PACKAGES: dict[str, str] = {
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
    "ducklake": "duckdb_extension_ducklake",
}


def extension_path(name: str) -> str:
    """Path of the installed binary of extension ``name`` for the running DuckDB version."""
    package = EXTENSION_PACKAGES[name]
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise CatalogError(
            f"DuckDB extension {name!r} needs the package {package.replace('_', '-')}=="
            f"{duckdb.__version__}; install the project with pip install -e ."
        ) from None
    path = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise CatalogError(
            f"{package} has no binary for DuckDB {duckdb.__version__} at {path}: "
            f"pin it to the same version as duckdb"
        )
    return str(path)


def load_extensions(connection: duckdb.DuckDBPyConnection, *names: str) -> None:
    """LOAD each named extension from its package, in order (dependencies first)."""
    for name in names:
        connection.execute(f"LOAD '{extension_path(name)}'")
