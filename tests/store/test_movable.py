"""A catalog folder copied or moved whole opens where it is now: every row as before, new data
files under its own ``data/``, and the original folder (if it is still there) byte for byte as it was.
"""

import hashlib
import shutil
from pathlib import Path

import duckdb

from sessions_lib import (
    Client,
    Dataset,
    Device,
    FileRegistration,
    RecordedTopic,
    Session,
    register_files,
)
from sessions_lib.catalog.extensions import load_extensions
from sessions_lib.catalog.lake import SCHEMA_SQL
from sessions_lib.catalog.location import DATA_DIR, METADATA_FILE

S = 1_000_000_000
T0 = 1_776_902_400 * S


def open_catalog(folder: Path) -> Client:
    return Client(folder, user="ana", org_ids=["org_a"])


def fill(client: Client) -> None:
    """Rows in every kind of storage: Parquet files (after compaction) and rows inlined since."""
    device = Device.create("lead", device_type="quadcopter", roboto_client=client)
    dataset = Dataset.create("field", root_path="/data/field", roboto_client=client)
    files = register_files(
        (
            FileRegistration(
                dataset.dataset_id,
                f"run-{i:03d}.mcap",
                [RecordedTopic("/imu", spans=((T0 + i * 60 * S, T0 + i * 60 * S + 30 * S),))],
                device_id=device.device_id,
            )
            for i in range(50)
        ),
        roboto_client=client,
    )
    device.create_session("flight-1", files=files[:10], tags=["outdoor"])
    client.catalog.compact()
    device.create_session("flight-2", files=files[10:12])  # inlined in the metadata database


def write_more(client: Client) -> None:
    """A write, then compaction, so that it lands in new Parquet files."""
    (device,) = list(Device.for_org(roboto_client=client))
    device.create_session("after-the-move", files=[])
    Device.create("wingman", roboto_client=client)
    client.catalog.compact()


def rows(client: Client) -> dict[str, list[tuple]]:
    """Every row of every table of the lake, sorted."""

    def read(tx) -> dict[str, list[tuple]]:
        tables = tx.rows("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'")
        return {t: tx.rows(f"SELECT * FROM {t} ORDER BY ALL") for (t,) in sorted(tables)}

    return client.catalog.read(read)


def listed_data_files(client: Client) -> set[Path]:
    """The data files DuckLake reads the live tables from, as it resolves their paths."""

    def read(tx) -> set[Path]:
        tables = tx.rows("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'")
        return {
            Path(path)
            for (table,) in tables
            for (path,) in tx.rows("SELECT data_file FROM ducklake_list_files('lake', $t)", t=table)
        }

    return client.catalog.read(read)


def parquet_files(folder: Path) -> set[Path]:
    return set((folder / DATA_DIR).rglob("*.parquet"))


def tree_bytes(folder: Path) -> dict[str, str]:
    """Each file under ``folder`` (relative path) and the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def made_and_closed(folder: Path) -> dict[str, list[tuple]]:
    client = open_catalog(folder)
    fill(client)
    before = rows(client)
    client.catalog.close()
    return before


def test_a_copied_catalog_reads_as_before_and_writes_only_into_the_copy(tmp_path: Path):
    original, copy = tmp_path / "original", tmp_path / "elsewhere" / "copy"
    before = made_and_closed(original)
    shutil.copytree(original, copy)
    original_bytes = tree_bytes(original)

    client = open_catalog(copy)
    assert rows(client) == before
    copied_files = parquet_files(copy)
    write_more(client)

    assert parquet_files(copy) - copied_files, "the write made no data file in the copy"
    assert all(path.is_relative_to(copy / DATA_DIR) for path in listed_data_files(client))
    assert sorted(s.name for s in Session.for_org(roboto_client=client)) == [
        "after-the-move",
        "flight-1",
        "flight-2",
    ]
    client.catalog.close()
    assert tree_bytes(original) == original_bytes
    reopened = open_catalog(original)
    assert rows(reopened) == before
    reopened.catalog.close()


def test_a_moved_catalog_reads_as_before_and_writes_into_its_new_folder(tmp_path: Path):
    old, new = tmp_path / "old", tmp_path / "new" / "place"
    before = made_and_closed(old)
    new.parent.mkdir()
    shutil.move(old, new)

    client = open_catalog(new)
    assert rows(client) == before
    moved_files = parquet_files(new)
    write_more(client)

    assert parquet_files(new) - moved_files, "the write made no data file in the moved folder"
    assert all(path.is_relative_to(new / DATA_DIR) for path in listed_data_files(client))
    assert sorted(d.name for d in Device.for_org(roboto_client=client)) == ["lead", "wingman"]
    client.catalog.close()
    assert not old.exists()


def test_a_catalog_made_before_movable_catalogs_opens_after_a_move(tmp_path: Path):
    """Made as the library made catalogs before: attached with the folder's absolute data path
    alone (no override), which DuckLake stores in its metadata; rows written in Parquet files."""
    old, new = tmp_path / "old", tmp_path / "moved"
    (old / DATA_DIR).mkdir(parents=True)
    connection = duckdb.connect(config={"autoload_known_extensions": False})
    load_extensions(connection, "sqlite_scanner", "ducklake")
    connection.execute(
        f"ATTACH 'ducklake:sqlite:{old / METADATA_FILE}' AS lake "
        f"(DATA_PATH '{old / DATA_DIR}/', DATA_INLINING_ROW_LIMIT 0)"
    )
    connection.execute("USE lake")
    connection.execute(SCHEMA_SQL)
    connection.execute(
        "INSERT INTO devices SELECT 'dv_' || i, 'org_a', 'drone-' || i, NULL, NULL, "
        "TIMESTAMPTZ '2026-04-23 00:00:00+00', 'ana', TIMESTAMPTZ '2026-04-23 00:00:00+00', 'ana' "
        "FROM range(3) AS r(i)"
    )
    stored = connection.execute(
        "SELECT value FROM __ducklake_metadata_lake.ducklake_metadata WHERE key = 'data_path'"
    ).fetchone()
    connection.close()
    assert stored == (f"{old / DATA_DIR}/",)
    assert parquet_files(old)
    shutil.move(old, new)

    client = open_catalog(new)
    assert sorted(d.name for d in Device.for_org(roboto_client=client)) == [
        "drone-0",
        "drone-1",
        "drone-2",
    ]
    before = parquet_files(new)
    Device.create("wingman", roboto_client=client)
    client.catalog.compact()
    assert parquet_files(new) - before
    assert all(path.is_relative_to(new / DATA_DIR) for path in listed_data_files(client))
    assert len(list(Device.for_org(roboto_client=client))) == 4
    client.catalog.close()
    assert not old.exists()
