"""Hostile SQL on the SQL surface (``connect()`` and ``sessions sql``): every write, file read,
maintenance call and reach for another org's rows is refused with ``InvalidRequestError`` and leaves
the catalog as it was (every byte of its folder, every row of its tables), while every legitimate
query of the README is still answered, with the caller's rows only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from sessions_lib import Client, Device, RecordedTopic, register_dataset, register_file
from sessions_lib.errors import InvalidRequestError
from sessions_lib.surfaces.sql import TABLE_VIEWS, SqlConnection, connect, org_connection

MINE, THEIRS = "org_mine", "org_theirs"
TABLES = (*TABLE_VIEWS, "session_files")

# Each refused: (name, SQL). "x" stands for the other org's id where a query aims at it.
HOSTILE = [
    # writes, plain and under EXPLAIN ANALYZE
    ("update", "UPDATE lake.sessions SET name = 'forged'"),
    ("update view", "UPDATE sessions SET name = 'forged'"),
    ("insert", "INSERT INTO lake.sessions SELECT * FROM lake.sessions"),
    ("delete", f"DELETE FROM lake.sessions WHERE org_id = '{THEIRS}'"),
    ("create", "CREATE TABLE t AS SELECT * FROM sessions"),
    ("create view", "CREATE VIEW v AS SELECT * FROM lake.sessions"),
    ("drop", "DROP VIEW sessions"),
    ("alter", "ALTER TABLE lake.sessions ADD COLUMN x INT"),
    ("explain analyze update", "EXPLAIN ANALYZE UPDATE lake.sessions SET name = 'forged'"),
    ("explain analyze delete", "EXPLAIN ANALYZE DELETE FROM lake.session_files"),
    ("explain analyze insert", "EXPLAIN ANALYZE INSERT INTO lake.sessions SELECT * FROM lake.sessions"),
    ("explain analyze copy", "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/sessions-hostile.csv'"),
    ("explain analyze select", "EXPLAIN ANALYZE SELECT * FROM sessions"),
    ("explain analyse", "explain analyse SELECT 1"),
    ("explain after a comment", "/* plan */ EXPLAIN ANALYZE DELETE FROM lake.sessions"),
    ("explain of raw tables", "EXPLAIN SELECT * FROM lake.sessions"),
    ("copy to", "COPY (SELECT * FROM sessions) TO '/tmp/sessions-hostile.csv'"),
    ("copy from", "COPY sessions FROM '/etc/passwd'"),
    ("export", "EXPORT DATABASE '/tmp/sessions-hostile'"),
    ("import", "IMPORT DATABASE '/tmp/sessions-hostile'"),
    ("attach", "ATTACH '/tmp/sessions-hostile.duckdb' AS other"),
    ("detach", "DETACH lake"),
    ("install", "INSTALL httpfs"),
    ("load", "LOAD httpfs"),
    ("pragma", "PRAGMA database_list"),
    ("set", "SET enable_external_access = true"),
    ("reset", "RESET lock_configuration"),
    ("set variable", "SET VARIABLE x = 1"),
    ("call", "CALL ducklake_expire_snapshots('lake', older_than => now())"),
    ("checkpoint", "CHECKPOINT lake"),
    ("vacuum", "VACUUM"),
    ("use", "USE lake"),
    ("begin", "BEGIN TRANSACTION"),
    # several statements, however hidden
    ("two statements", "SELECT 1; UPDATE lake.sessions SET name = 'forged'"),
    ("after a comment", "SELECT 1 /* ; */; DELETE FROM lake.sessions"),
    ("after a line comment", "SELECT 1 -- no\n; DROP VIEW sessions"),
    # maintenance, file and query functions
    ("cleanup as a table", "SELECT * FROM ducklake_cleanup_old_files('lake', cleanup_all => true)"),
    ("cleanup as a scalar", "SELECT ducklake_cleanup_old_files('lake', cleanup_all => true)"),
    (
        "cleanup in a subquery",
        "SELECT (SELECT count(*) FROM ducklake_cleanup_old_files('lake', cleanup_all => true))",
    ),
    ("merge", "SELECT * FROM ducklake_merge_adjacent_files('lake')"),
    ("snapshots", "SELECT * FROM ducklake_snapshots('lake')"),
    ("table info", "SELECT * FROM ducklake_table_info('lake')"),
    ("read_text", "SELECT * FROM read_text('/etc/passwd')"),
    ("read_blob", "SELECT * FROM read_blob('/etc/passwd')"),
    ("glob", "SELECT * FROM glob('/tmp/*')"),
    ("read_csv", "SELECT * FROM read_csv('/etc/passwd')"),
    ("read_parquet of the data", "SELECT * FROM read_parquet('{data}**/*.parquet')"),
    ("parquet_metadata", "SELECT * FROM parquet_metadata('{data}**/*.parquet')"),
    ("sqlite_scan of the metadata", "SELECT * FROM sqlite_scan('{metadata}', 'ducklake_snapshot')"),
    ("sqlite_attach", "SELECT * FROM sqlite_attach('{metadata}')"),
    ("a file as a table", "SELECT * FROM '/etc/passwd'"),
    ("a parquet file as a table", "SELECT * FROM '{data}main/sessions/x.parquet'"),
    ("query()", f"SELECT * FROM query('SELECT * FROM lake.sessions WHERE org_id = ''{THEIRS}''')"),
    ("query_table()", "SELECT * FROM query_table('lake.sessions')"),
    ("json_execute_serialized_sql", "SELECT * FROM json_execute_serialized_sql('{{}}')"),
    ("duckdb_databases()", "SELECT path FROM duckdb_databases()"),
    ("duckdb_settings()", "SELECT * FROM duckdb_settings()"),
    ("duckdb_secrets()", "SELECT * FROM duckdb_secrets()"),
    ("pragma as a table", "SELECT * FROM pragma_table_info('lake.sessions')"),
    ("current_setting", "SELECT current_setting('allowed_directories')"),
    ("getenv", "SELECT getenv('HOME')"),
    ("getvariable", "SELECT getvariable('org_id')"),
    ("sleep", "SELECT sleep_ms(1)"),
    ("a qualified function", "SELECT lake.main.anything(1)"),
    ("range qualified", "SELECT * FROM lake.main.range(3)"),
    # other orgs' rows: raw tables, other catalogs, system catalogs
    ("lake.table", "SELECT * FROM lake.sessions"),
    ("lake.main.table", "SELECT * FROM lake.main.session_files"),
    ("quoted", 'SELECT * FROM "lake"."sessions"'),
    ("quoted upper case", 'SELECT * FROM "LAKE"."MAIN"."SESSIONS"'),
    ("mixed case", "select * from LaKe.SeSsIoNs"),
    ("memory qualified", "SELECT * FROM memory.main.sessions"),
    ("schema qualified", "SELECT * FROM main.sessions"),
    ("metadata catalog", "SELECT * FROM __ducklake_metadata_lake.ducklake_snapshot"),
    ("metadata inlined rows", "SELECT * FROM __ducklake_metadata_lake.ducklake_table"),
    ("union with a view", "SELECT name FROM sessions UNION ALL SELECT name FROM lake.sessions"),
    ("intersect", "SELECT session_id FROM sessions INTERSECT SELECT session_id FROM lake.main.sessions"),
    ("cte over raw", "WITH s AS (SELECT * FROM lake.sessions) SELECT * FROM s"),
    ("nested cte", "WITH a AS (WITH b AS (SELECT * FROM lake.main.files) SELECT * FROM b) SELECT * FROM a"),
    (
        "recursive cte",
        "WITH RECURSIVE r AS (SELECT * FROM lake.topics UNION ALL SELECT * FROM r) SELECT * FROM r",
    ),
    ("subquery in from", "SELECT * FROM (SELECT * FROM lake.devices) AS d"),
    (
        "subquery in where",
        "SELECT * FROM sessions WHERE session_id IN (SELECT session_id FROM lake.sessions)",
    ),
    ("scalar subquery", "SELECT (SELECT count(*) FROM lake.sessions)"),
    ("exists", "SELECT 1 WHERE EXISTS (SELECT 1 FROM lake.timeline_extents)"),
    ("join", "SELECT * FROM sessions JOIN lake.session_files USING (session_id)"),
    ("lateral", "SELECT * FROM sessions, LATERAL (SELECT * FROM lake.files) f"),
    ("in a function argument", "SELECT coalesce((SELECT max(name) FROM lake.sessions), 'x')"),
    ("in a lambda", "SELECT list_transform([1], x -> (SELECT count(*) FROM lake.files))"),
    ("in a window", "SELECT row_number() OVER (ORDER BY (SELECT 1 FROM lake.files LIMIT 1)) FROM sessions"),
    ("in order by", "SELECT * FROM sessions ORDER BY (SELECT count(*) FROM lake.sessions)"),
    ("describe raw", "DESCRIBE lake.sessions"),
    ("summarize raw", "SUMMARIZE lake.files"),
    ("show tables", "SHOW ALL TABLES"),
    ("system view", "SELECT * FROM duckdb_databases"),
    ("information_schema", "SELECT * FROM information_schema.tables"),
    ("pg_catalog", "SELECT * FROM pg_catalog.pg_class"),
    ("a cte shadowing a system view", "WITH duckdb_databases AS (SELECT 1) SELECT 1"),
    ("a cte named after the catalog", "WITH lake AS (SELECT 1) SELECT * FROM lake"),
    ("a comment hiding nothing", "SELECT * /* FROM sessions */ FROM lake.sessions"),
    ("time travel on raw", "SELECT * FROM lake.sessions AT (VERSION => 1)"),
]

# The README's queries (its SQL section and CLI examples) and other questions a user asks.
LEGITIMATE = [
    "SELECT * FROM session_bounds",
    "SELECT session_id, (max_timestamp_ns - min_timestamp_ns) / 1e9 AS seconds "
    "FROM session_bounds ORDER BY seconds DESC LIMIT 5",
    "SELECT DISTINCT session_id FROM session_topics WHERE name = '/imu'",
    "SELECT device_name, count(*) AS sessions FROM device_sessions GROUP BY ALL",
    "SELECT device_name FROM device_sessions ORDER BY 1",
    "SELECT session_id, anchored FROM session_anchored",
    "SELECT * FROM session_files",
    *(f"SELECT * FROM {table}" for table in TABLE_VIEWS),
    "select NAME from SESSIONS",
    'SELECT "name" FROM "sessions"',
    "FROM sessions SELECT name",
    "EXPLAIN SELECT * FROM session_bounds",
    "/* why */ explain SELECT count(*) FROM timeline_extents",
    "DESCRIBE session_files",
    "SUMMARIZE session_bounds",
    "WITH s AS (SELECT * FROM sessions) "
    "SELECT s.name, b.min_timestamp_ns FROM s JOIN session_bounds b USING (session_id)",
    "WITH sessions AS (SELECT * FROM sessions WHERE name IS NOT NULL) SELECT name FROM sessions",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n",
    "SELECT name FROM sessions UNION SELECT name FROM devices",
    "SELECT t.name, count(*) FROM timeline_extents e JOIN topics t USING (topic_id) GROUP BY 1 ORDER BY 1",
    "SELECT name, row_number() OVER (ORDER BY created) FROM sessions QUALIFY row_number() OVER () >= 1",
    "SELECT * FROM files WHERE file_id IN (SELECT file_id FROM session_files)",
    "SELECT to_timestamp(min_timestamp_ns / 1e9), strftime(now(), '%Y'), list_transform([1, 2], x -> x * 2) "
    "FROM session_bounds",
    "SELECT * FROM range(3)",
    "SELECT 1; -- a trailing comment",
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two orgs' devices, files and sessions, their rows in Parquet files, and one Parquet file
    scheduled for deletion (so a cleanup call would delete a file)."""
    folder = tmp_path_factory.mktemp("hostile") / "catalog"
    for org in (MINE, THEIRS):
        client = Client(folder, org_ids=[org])
        dataset = register_dataset(f"{org}-data", roboto_client=client).dataset_id
        file = register_file(
            dataset, f"{org}.mcap", [RecordedTopic(f"/{org}/imu", ((0, 10**9),))], roboto_client=client
        )
        Device.create(f"{org}-drone", roboto_client=client).create_session(f"{org}-flight", files=[file])
        client.catalog.close()
    client = Client(folder, org_ids=[MINE])
    client.catalog.compact()
    lake = client.catalog.connection()
    lake.execute("UPDATE lake.sessions SET description = 'rewritten'")
    lake.execute("CALL ducklake_rewrite_data_files('lake')")
    lake.execute("CALL ducklake_expire_snapshots('lake', older_than => now() + INTERVAL 1 DAY)")
    scheduled = "SELECT count(*) FROM __ducklake_metadata_lake.ducklake_files_scheduled_for_deletion"
    assert lake.execute(scheduled).fetchone()[0] > 0
    client.catalog.close()
    return folder


def folder_bytes(folder: Path) -> dict[str, str]:
    """Every file under the folder, by relative path: its SHA-256 (SQLite's shared-memory index
    of the WAL, rewritten by any reader, left out)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def table_rows(client: Client) -> dict[str, list[str]]:
    """Every row of every table of the catalog, all orgs, as sorted text."""
    return client.catalog.read(
        lambda tx: {t: sorted(map(repr, tx.rows(f"SELECT * FROM lake.main.{t}"))) for t in TABLES}
    )


@pytest.fixture(scope="module")
def theirs(catalog: Path) -> set[str]:
    """Every id and name of the other org: none may appear in an answer to my SQL."""
    client = Client(catalog, org_ids=[THEIRS])
    rows = client.catalog.read(
        lambda tx: tx.rows(
            f"SELECT session_id, name FROM sessions WHERE org_id = '{THEIRS}' "
            f"UNION ALL SELECT file_id, relative_path FROM files WHERE org_id = '{THEIRS}' "
            f"UNION ALL SELECT device_id, name FROM devices WHERE org_id = '{THEIRS}' "
            f"UNION ALL SELECT topic_id, name FROM topics WHERE org_id = '{THEIRS}'"
        )
    )
    client.catalog.close()
    return {value for row in rows for value in row} | {THEIRS}


@pytest.fixture(scope="module")
def con(catalog: Path) -> Iterator[SqlConnection]:
    client = Client(catalog, org_ids=[MINE])
    with connect(roboto_client=client) as connection:
        yield connection
    client.catalog.close()


@pytest.fixture(scope="module")
def unchanged(catalog: Path) -> Iterator[None]:
    """The catalog's bytes and rows, checked unchanged after the module's tests."""
    client = Client(catalog, org_ids=[MINE])
    rows = table_rows(client)
    client.catalog.close()
    before = folder_bytes(catalog)
    yield
    client = Client(catalog, org_ids=[MINE])
    assert table_rows(client) == rows
    client.catalog.close()
    assert folder_bytes(catalog) == before


def filled(sql: str, catalog: Path) -> str:
    data = str(catalog / "data") + "/"
    return sql.format(data=data, metadata=catalog / "catalog.sqlite")


def leaked(rows: object, theirs: set[str]) -> set[str]:
    text = json.dumps(rows, default=str)
    return {value for value in theirs if value in text}


@pytest.mark.parametrize(("name", "sql"), HOSTILE, ids=[name for name, _ in HOSTILE])
def test_hostile_sql_is_refused(unchanged: None, con: SqlConnection, catalog: Path, name: str, sql: str):
    with pytest.raises(InvalidRequestError):
        con.sql(filled(sql, catalog)).fetchall()


@pytest.mark.parametrize("sql", LEGITIMATE)
def test_legitimate_sql_is_answered_with_my_rows_only(
    unchanged: None, con: SqlConnection, theirs: set[str], sql: str
):
    rows = con.sql(sql).fetchall()
    assert not leaked(rows, theirs)


def test_the_views_hold_exactly_my_rows(unchanged: None, catalog: Path, con: SqlConnection):
    """Each table's view: the table's rows of my org, compared with the table read directly."""
    client = Client(catalog, org_ids=[MINE])
    expected = client.catalog.read(
        lambda tx: {
            t: sorted(map(repr, tx.rows(f"SELECT * FROM lake.main.{t} WHERE org_id = '{MINE}'")))
            for t in TABLE_VIEWS
        }
    )
    client.catalog.close()
    assert {t: sorted(map(repr, con.sql(f"SELECT * FROM {t}").fetchall())) for t in TABLE_VIEWS} == expected
    assert con.sql("SELECT name FROM sessions").fetchall() == [(f"{MINE}-flight",)]


def test_admin_mode_reads_every_org_and_stays_gated(unchanged: None, catalog: Path):
    client = Client(catalog, org_ids=[MINE])
    with connect(roboto_client=client, admin=True) as admin:
        names = admin.sql("SELECT name FROM sessions ORDER BY name").fetchall()
        assert names == [(f"{MINE}-flight",), (f"{THEIRS}-flight",)]
        assert admin.sql("SELECT count(*) FROM session_topics").fetchone() == (2,)
        for sql in (
            "UPDATE lake.sessions SET name = 'x'",
            "SELECT * FROM lake.sessions",
            "SELECT * FROM glob('/*')",
        ):
            with pytest.raises(InvalidRequestError):
                admin.sql(sql)
    with pytest.raises(InvalidRequestError, match="every org"):
        connect(MINE, client, admin=True)
    client.catalog.close()


def test_parameters_are_values_never_sql(unchanged: None, con: SqlConnection, theirs: set[str]):
    rows = con.sql("SELECT name FROM sessions WHERE name = ? OR ? = 'x'", ["x' OR '1'='1", "y"]).fetchall()
    assert rows == []
    assert con.sql("SELECT $n AS n", {"n": "lake.sessions"}).fetchall() == [("lake.sessions",)]


def test_duckdb_itself_refuses_writes_files_and_settings(unchanged: None, catalog: Path):
    """The wall under the gate: on the library's own connection (no gate), DuckDB refuses every
    write to the catalog, every file outside its data and every change of configuration, while the
    views still answer."""
    client = Client(catalog, org_ids=[MINE])
    connection = org_connection(roboto_client=client)
    refused = [
        "UPDATE lake.sessions SET name = 'forged'",
        "EXPLAIN ANALYZE DELETE FROM lake.sessions",
        "INSERT INTO lake.topics SELECT * FROM lake.topics",
        "CALL lake.set_option('target_file_size', '1MB')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('/tmp/*')",
        "COPY (SELECT 1) TO '/tmp/sessions-hostile.csv'",
        "ATTACH '/tmp/sessions-hostile.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "RESET lock_configuration",
    ]
    for sql in refused:
        with pytest.raises(duckdb.Error):
            connection.execute(sql)
    assert connection.execute("SELECT name FROM sessions").fetchall() == [(f"{MINE}-flight",)]
    connection.close()
    client.catalog.close()


runner = CliRunner(env={"SESSIONS_ORG_IDS": MINE, "SESSIONS_CATALOG": None})
CLI_SAMPLE = [
    "update",
    "explain analyze update",
    "copy to",
    "cleanup as a table",
    "cleanup as a scalar",
    "read_text",
    "sqlite_scan of the metadata",
    "lake.table",
    "union with a view",
    "two statements",
]


def cli_refuses(sql: str, catalog: Path) -> None:
    result = runner.invoke(app, ["sql", filled(sql, catalog), "--catalog", str(catalog)])
    assert result.exit_code == 1, (sql, result.output)
    assert result.stdout == "" and result.stderr.startswith("error: ")


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_cli_refuses(unchanged: None, catalog: Path, name: str):
    cli_refuses(dict(HOSTILE)[name], catalog)


@pytest.mark.slow  # a catalog attach per query
def test_cli_refuses_the_whole_corpus_and_answers_the_readme(
    unchanged: None, catalog: Path, theirs: set[str]
):
    for _, sql in HOSTILE:
        cli_refuses(sql, catalog)
    for sql in LEGITIMATE:
        result = runner.invoke(app, ["sql", sql, "--json", "--catalog", str(catalog)])
        assert result.exit_code == 0, (sql, result.output)
        assert not leaked(json.loads(result.stdout), theirs)


def test_cli_admin(unchanged: None, catalog: Path):
    result = runner.invoke(
        app, ["sql", "SELECT org_id FROM sessions ORDER BY 1", "--admin", "--json", "--catalog", str(catalog)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"org_id": MINE}, {"org_id": THEIRS}]


@pytest.mark.backends("sqlite", "postgres")
def test_read_only_and_walled_on_every_backend(backend: str, catalog_setting: str):
    """The PostgreSQL + S3 catalog too: attached read-only, data files readable by the views
    only, other orgs' rows and writes refused."""
    for org in (MINE, THEIRS):
        client = Client(catalog_setting, org_ids=[org])
        dataset = register_dataset("d", roboto_client=client).dataset_id
        file = register_file(dataset, "a.mcap", [RecordedTopic("/imu", ((0, 10**9),))], roboto_client=client)
        Device.create(f"{org}-drone", roboto_client=client).create_session(f"{org}-flight", files=[file])
        client.catalog.close()
    client = Client(catalog_setting, org_ids=[MINE])
    client.catalog.compact()  # the rows into Parquet files under the data path
    rows = table_rows(client)
    with connect(roboto_client=client) as con:
        assert con.sql("SELECT name FROM sessions").fetchall() == [(f"{MINE}-flight",)]
        assert con.sql("SELECT count(*) FROM session_topics").fetchone() == (1,)
        for sql in (
            "UPDATE lake.sessions SET name = 'x'",
            "SELECT * FROM lake.sessions",
            "SELECT * FROM ducklake_cleanup_old_files('lake', cleanup_all => true)",
            "SELECT * FROM read_parquet('" + client.catalog.location.data_path + "**/*.parquet')",
            "SELECT * FROM postgres_scan('" + catalog_setting + "', 'public', 'ducklake_snapshot')",
        ):
            with pytest.raises(InvalidRequestError):
                con.sql(sql)
    raw = org_connection(roboto_client=client)
    with pytest.raises(duckdb.Error, match="read-only"):
        raw.execute("UPDATE lake.sessions SET name = 'x'")
    raw.close()
    assert table_rows(client) == rows
    client.catalog.close()
