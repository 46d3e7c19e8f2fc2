"""The DuckLake catalog: offline extensions, schema on first use, transactions with retry."""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sessions_lib import CatalogBusyError, CatalogError, Client, Session
from sessions_lib.catalog import Catalog, CatalogLocation, RetryPolicy, lake
from sessions_lib.catalog.lake import SCHEMA_SQL

TABLES = {
    "devices", "datasets", "files", "topics", "topic_partitions", "timeline_extents",
    "sessions", "session_files", "session_devices", "activity_intervals",
}  # fmt: skip

pytestmark = pytest.mark.fresh_catalog  # transactions on a catalog of their own, counting every row


def lake_tables(catalog: Catalog) -> list[str]:
    return [
        name
        for (name,) in catalog.connection()
        .execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake' ORDER BY 1")
        .fetchall()
    ]


def test_first_use_creates_the_catalog_and_every_table(tmp_path: Path):
    catalog = Catalog(CatalogLocation.from_setting(tmp_path / "new" / "place"))
    assert sorted(lake_tables(catalog)) == sorted(TABLES)
    assert (tmp_path / "new" / "place" / "catalog.sqlite").is_file()
    assert (tmp_path / "new" / "place" / "data").is_dir()
    catalog.close()
    assert sorted(lake_tables(Catalog(catalog.location))) == sorted(TABLES)


def test_schema_is_defined_once_in_schema_sql():
    assert {line.split()[5] for line in SCHEMA_SQL.splitlines() if line.startswith("CREATE TABLE")} == TABLES


def test_extensions_load_from_installed_packages_without_download(tmp_path: Path):
    """A fresh HOME has no DuckDB extension cache; autoinstall is off, so the packages serve."""
    script = (
        "from sessions_lib.catalog import Catalog, CatalogLocation\n"
        f"c = Catalog(CatalogLocation.from_setting({str(tmp_path / 'cat')!r}))\n"
        'rows = c.connection().execute("SELECT extension_name, install_path FROM duckdb_extensions() '
        "WHERE loaded AND extension_name IN ('ducklake', 'sqlite_scanner') ORDER BY 1\").fetchall()\n"
        "print(rows)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "('ducklake', '')" in out.stdout and "('sqlite_scanner', '')" in out.stdout
    assert not (tmp_path / "home" / ".duckdb").exists()


def test_ambient_location_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSIONS_CATALOG", str(tmp_path / "from-env"))
    assert CatalogLocation.ambient().metadata_path == tmp_path / "from-env" / "catalog.sqlite"
    monkeypatch.delenv("SESSIONS_CATALOG")
    monkeypatch.chdir(tmp_path)
    assert CatalogLocation.ambient().data_path == f"{tmp_path / '.sessions' / 'data'}/"


def test_client_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSIONS_CATALOG", str(tmp_path / "env-cat"))
    monkeypatch.setenv("SESSIONS_USER", "pipeline")
    monkeypatch.setenv("SESSIONS_ORG_IDS", "org_x, org_y")
    client = Client.from_env()
    assert client.user == "pipeline" and client.org_ids == ("org_x", "org_y")
    session = Session.create(name="env", caller_org_id="org_y", roboto_client=client)
    assert session.created_by == "pipeline" and session.org_id == "org_y"
    assert (tmp_path / "env-cat" / "catalog.sqlite").is_file()


def test_a_conflicting_commit_is_retried_whole_and_applied_once(client: Client):
    """Another writer commits while our transaction is open: ours fails, re-runs, lands once.
    (The other writer does not queue on the writer lock, or it would wait for ours.)"""
    other = Catalog(client.catalog.location, queue_writers=False)
    retries_before = client.catalog.retries
    attempts = []

    def work(tx):
        attempts.append(tx.scalar("SELECT count(*) FROM datasets"))
        if len(attempts) == 1:
            other.transaction(lambda o: o.execute(INSERT_DATASET, id="ds_other"))
        tx.execute(INSERT_DATASET, id="ds_ours")

    client.catalog.transaction(work)
    assert attempts == [0, 1]  # the retry saw the other commit
    assert client.catalog.retries == retries_before + 1
    ids = client.catalog.transaction(lambda tx: tx.rows("SELECT dataset_id FROM datasets ORDER BY 1"))
    assert ids == [("ds_other",), ("ds_ours",)]
    other.close()


INSERT_DATASET = (
    "INSERT INTO datasets VALUES ($id, 'org_a', 'n', NULL, TIMESTAMPTZ '2026-01-01 00:00:00+00', 'u')"
)


def test_retry_gives_up_with_a_conflict_error_and_writes_nothing(client: Client):
    catalog = Catalog(client.catalog.location, RetryPolicy(deadline_s=0.05))

    def always_locked(tx):
        tx.execute(INSERT_DATASET, id="ds_never")
        raise duckdb.TransactionException("Failed to commit: database is locked")

    with pytest.raises(CatalogBusyError, match="stayed locked or conflicting"):
        catalog.transaction(always_locked)
    assert catalog.transaction(lambda tx: tx.scalar("SELECT count(*) FROM datasets")) == 0
    catalog.close()


def test_a_database_error_that_retrying_cannot_fix_is_a_catalog_error(client: Client):
    with pytest.raises(CatalogError, match="no_such_table"):
        client.catalog.transaction(lambda tx: tx.rows("SELECT * FROM no_such_table"))


def open_catalog(path: str) -> list[str]:
    return lake_tables(Catalog(CatalogLocation.from_setting(path)))


def test_processes_creating_one_new_catalog_at_once_converge(tmp_path: Path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.map(open_catalog, [str(tmp_path / "shared")] * 4)
    assert all(sorted(tables) == sorted(TABLES) for tables in results)
    catalog = Catalog(CatalogLocation.from_setting(tmp_path / "shared"))
    assert sorted(lake_tables(catalog)) == sorted(TABLES)  # each table once


def snapshot_count(catalog: Catalog) -> int:
    return int(catalog.read(lambda tx: tx.scalar("SELECT count(*) FROM lake.snapshots()")))


@pytest.mark.backends("sqlite", "postgres")
def test_opening_an_existing_catalog_writes_nothing_and_takes_no_writer_lock(client: Client):
    """A read's open neither commits a snapshot nor waits for a writer (on PostgreSQL the writer
    lock is held by another catalog object while this one opens; taking it would time out)."""
    before = snapshot_count(client.catalog)
    writer = Catalog(client.catalog.location)
    with writer._writing():
        reader = Catalog(client.catalog.location, RetryPolicy(deadline_s=0.5))
        reader.new_connection().close()
        assert snapshot_count(reader) == before
        reader.close()
    writer.close()


def test_a_catalog_lacking_a_column_of_schema_sql_is_upgraded_when_opened(
    client: Client, monkeypatch: pytest.MonkeyPatch
):
    """schema.sql grows by ``ADD COLUMN IF NOT EXISTS`` lines: the open that meets an older catalog
    runs them (once: the next open writes nothing)."""
    client.catalog.read(lambda tx: tx.scalar("SELECT count(*) FROM files"))  # created, as it was
    upgraded = SCHEMA_SQL + "\nALTER TABLE files ADD COLUMN IF NOT EXISTS reviewed BOOLEAN;\n"
    monkeypatch.setattr(lake, "SCHEMA_SQL", upgraded)
    monkeypatch.setattr(lake, "_schema_columns", None)
    catalog = Catalog(client.catalog.location)
    assert ("files", "reviewed") in catalog.read(lake.lake_columns)
    before = snapshot_count(catalog)
    catalog.new_connection().close()
    assert snapshot_count(catalog) == before
    catalog.close()
