"""Ad-hoc SQL, read-only and walled to one org: what ``connect()`` and ``sessions sql`` answer.

>>> con = connect()                                             # doctest: +SKIP
>>> con.sql("SELECT * FROM session_bounds ORDER BY min_timestamp_ns").pl()   # doctest: +SKIP

A caller's SQL reads views, never the catalog's tables: one view per table (``sessions``,
``files``, ``topics``, ``topic_partitions``, ``timeline_extents``, ``devices``, ``datasets``,
``session_devices``, ``activity_intervals``: the table's rows of the caller's org) and the views
of the rules of ``sessions_lib.queries`` over them, which answer exactly as ``Session`` does:

- ``session_bounds``: ``session_id``, ``min_timestamp_ns``, ``max_timestamp_ns`` recomputed from
  the contributions (sessions without contributions have no row);
- ``session_files``: one row per contribution with its file, its optional range, its window
  (``window_min_ns``, ``window_max_ns``) and whether the file is ``anchored``;
- ``session_topics``: ``session_id``, ``topic_id``, ``name``: topics with an extent overlapping
  their file's contribution window (``list_topics``);
- ``device_sessions``: ``device_id``, ``device_name``, and each session it is attached to, with
  its stored bounds;
- ``session_anchored``: ``session_id``, ``anchored``: true when every file the session holds has
  Unix-epoch time (a session without files too); an unanchored session's times are relative.

``connect(admin=True)`` makes the same views over every org's rows, for operators.

Two walls, each enough to refuse a write on its own:

- DuckDB's: the catalog is attached ``READ_ONLY``, file access is off outside the catalog's own
  data path (``enable_external_access``, ``allowed_directories``) and the configuration is
  locked, so no statement can turn these back on;
- the gate (:class:`Gate`), decided on DuckDB's own parse of the query: one ``SELECT`` (or a plain
  ``EXPLAIN`` of one), reading only the views above and its own CTEs, calling only pure functions.
  It is what keeps other orgs' rows (``lake.<table>``, DuckLake's metadata catalog, the data
  files) and DuckLake's maintenance functions out of reach: ``ducklake_cleanup_old_files`` deletes
  files even on a read-only attach.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb

from sessions_lib.catalog import LAKE, Tx
from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import InvalidRequestError
from sessions_lib.queries import query_sql, with_rules

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

# The catalog's tables a caller reads through a view of the same name. ``session_files`` is the
# one table whose view is richer: each contribution with its window (views/session_files.sql).
TABLE_VIEWS = (
    "devices",
    "datasets",
    "files",
    "topics",
    "topic_partitions",
    "timeline_extents",
    "activity_intervals",
    "sessions",
    "session_devices",
)
RULE_VIEWS = (
    "session_files",
    "session_bounds",
    "session_topics",
    "device_sessions",
    "session_anchored",
    "device_coverage",
)
VIEW_NAMES = TABLE_VIEWS + RULE_VIEWS

# Table functions a query may read from: generated rows only, no file, catalog or other query.
TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree"})
# Pure functions that still read state outside the query (settings, variables, the search path)
# or take SQL text: refused although DuckDB lists them without side effects.
_STATEFUL_FUNCTIONS = frozenset(
    {
        "current_setting",
        "getvariable",
        "in_search_path",
        "current_schemas",
        "json_serialize_sql",
        "json_deserialize_sql",
        "json_serialize_plan",
        "parse_duckdb_log_message",
    }
)
_LEADING_COMMENTS = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_EXPLAIN = re.compile(r"EXPLAIN\b", re.IGNORECASE)


# Every extent of a device's anchored file, for the coverage rule without a window or tolerance:
# the `device_coverage` view answers which ranges each device has data in, overlapping and
# touching extents merged (`device_coverage_frame` takes a window and a tolerance).
_DEVICE_SPANS = """
WITH device_spans AS (
    SELECT f.device_id, te.file_id, te.min_wall_ns AS lo, te.max_wall_ns AS hi
    FROM timeline_extents AS te
    JOIN files AS f ON f.org_id = te.org_id AND f.file_id = te.file_id
    WHERE f.device_id IS NOT NULL AND f.anchored IS NOT FALSE
),
coverage_settings AS (SELECT 0::BIGINT AS tolerance_ns)
"""


def _scoped(table: str, org: str | None) -> str:
    """The rows of ``lake.main.<table>`` of the org (a SQL expression), or of every org (None)."""
    where = f" WHERE org_id = {org}" if org is not None else ""
    return f"SELECT * FROM {LAKE}.main.{table}{where}"


def views(org: str | None) -> dict[str, str]:
    """Each view's query, in creation order, for the org ``org`` (a SQL expression: a literal or
    ``$org_id``), or every org (None). The org filter is here and nowhere else: the rule views
    read the table views by their unqualified names."""
    contributions = with_rules(_scoped("session_files", org))
    return {table: _scoped(table, org) for table in TABLE_VIEWS} | {
        "session_files": contributions + query_sql("views/session_files"),
        "session_bounds": contributions
        + "SELECT session_id, min_timestamp_ns, max_timestamp_ns FROM session_bounds",
        "session_topics": contributions + "SELECT session_id, topic_id, name FROM session_topics",
        "device_sessions": query_sql("views/device_sessions"),
        "session_anchored": query_sql("views/session_anchored"),
        "device_coverage": _DEVICE_SPANS + "SELECT * FROM (" + query_sql("rules/device_coverage") + ")",
    }


@cache
def allowed_functions() -> frozenset[str]:
    """The scalar, aggregate and window functions and macros a query may call: those of DuckDB's
    own library (a connection without any extension: no DuckLake, SQLite, PostgreSQL or S3
    function) that have no side effects, less the few reading state outside the query.

    An allowlist, so a function an extension adds, or a later DuckDB, stays refused until it is
    looked at. Table functions are allowed by name only (``TABLE_FUNCTIONS``).
    """
    core = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        rows = core.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type IN ('scalar', 'aggregate', 'macro') AND NOT has_side_effects "
            "AND database_name = 'system' AND schema_name = 'main' "
            "AND NOT starts_with(function_name, '__internal')"
        ).fetchall()
    finally:
        core.close()
    return frozenset(name for (name,) in rows) - _STATEFUL_FUNCTIONS


@dataclass(frozen=True, slots=True)
class Gate:
    """Which SQL a caller may run, decided on DuckDB's own parse of it.

    DuckDB's parser rather than ``sqlglot``: it is the parser that will run the query, so no
    dialect difference (a quoting rule, a DuckDB-only clause) can make the gate see another query
    than the one executed. ``extract_statements`` splits and types the statements;
    ``json_serialize_sql`` gives the syntax tree of a ``SELECT`` (and refuses any other statement),
    which the gate walks whole: FROM clauses, joins, subqueries, CTEs, set operations, function
    arguments, lambdas. Names compare case-insensitively, as DuckDB resolves them.

    ``views``: the names a query may read, unqualified; ``reserved``: names resolving outside the
    views (system views, catalogs), which a CTE may not take, so a reference outside that CTE's
    scope never reaches them.
    """

    views: frozenset[str]
    reserved: frozenset[str]

    def check(self, connection: duckdb.DuckDBPyConnection, query: str) -> str:
        """The SQL to run for ``query``, or ``InvalidRequestError`` naming the rule it breaks."""
        statement = self._one_statement(connection, query)
        if statement.type == duckdb.StatementType.SELECT:
            self._check_select(connection, statement.query)
            return statement.query
        if statement.type == duckdb.StatementType.EXPLAIN:
            text = statement.query[_LEADING_COMMENTS.match(statement.query).end() :]  # type: ignore[union-attr]
            explained = _EXPLAIN.match(text)
            try:
                inner = self._one_statement(connection, text[explained.end() :]) if explained else None
            except InvalidRequestError:  # EXPLAIN ANALYZE ...: no statement on its own
                inner = None
            if inner is None or inner.type != duckdb.StatementType.SELECT:
                raise InvalidRequestError(
                    f"the SQL surface answers EXPLAIN of one SELECT only, not EXPLAIN ANALYZE nor "
                    f"EXPLAIN of another statement; got {_excerpt(query)}"
                )
            self._check_select(connection, inner.query)
            return "EXPLAIN " + inner.query
        raise InvalidRequestError(
            f"the SQL surface is read-only: it answers one SELECT (or EXPLAIN of one), got "
            f"{statement.type.name} in {_excerpt(query)}; change sessions through the API or the "
            "sessions commands, which keep bounds right"
        )

    def _one_statement(self, connection: duckdb.DuckDBPyConnection, query: str) -> Any:
        try:
            statements = connection.extract_statements(query)
        except duckdb.Error as error:
            raise InvalidRequestError(f"SQL: {_first_line(error)}") from error
        if len(statements) != 1:
            raise InvalidRequestError(
                f"the SQL surface answers one statement at a time, got {len(statements)} in {_excerpt(query)}"
            )
        return statements[0]

    def _check_select(self, connection: duckdb.DuckDBPyConnection, sql: str) -> None:
        serialized = connection.execute("SELECT json_serialize_sql($sql)", {"sql": sql}).fetchone()
        tree = json.loads(serialized[0]) if serialized else {"error": True}
        if tree.get("error"):
            raise InvalidRequestError(
                f"the SQL surface answers a plain SELECT only: {tree.get('error_message')} ({_excerpt(sql)})"
            )
        ctes = {name.lower() for name in _cte_names(tree)}
        taken = sorted(ctes & self.reserved)
        if taken:
            raise InvalidRequestError(
                f"a CTE may not be named {taken[0]!r}: the name of a system table or a catalog"
            )
        self._walk(tree, self.views | ctes)

    def _walk(self, node: Any, readable: frozenset[str] | set[str]) -> None:
        if isinstance(node, list):
            for item in node:
                self._walk(item, readable)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "TABLE_FUNCTION":
            function = node["function"]
            name = function.get("function_name", "").lower()
            if name not in TABLE_FUNCTIONS or function.get("catalog") or function.get("schema"):
                raise InvalidRequestError(
                    f"the SQL surface reads no table function but {', '.join(sorted(TABLE_FUNCTIONS))}; "
                    f"got {_qualified(function, 'catalog', 'schema', 'function_name')}(): files, other "
                    "catalogs and queries are out of reach"
                )
            node = {**node, "function": function.get("children", [])}
        elif "function_name" in node:
            name = node["function_name"].lower()
            if (
                name not in allowed_functions()
                or node.get("catalog") not in ("", "system", None)
                or (node.get("schema") not in ("", "main", None))
            ):
                raise InvalidRequestError(
                    f"the SQL surface calls only DuckDB's own functions without side effects; "
                    f"got {_qualified(node, 'catalog', 'schema', 'function_name')}()"
                )
        if node.get("table_name"):
            qualified = node.get("catalog_name") or node.get("schema_name")
            if qualified or node["table_name"].lower() not in readable:
                table = _qualified(node, "catalog_name", "schema_name", "table_name")
                raise InvalidRequestError(
                    f"the SQL surface reads only the views {', '.join(VIEW_NAMES)} (unqualified) and "
                    f"the query's own CTEs; got {table}"
                )
        for value in node.values():
            self._walk(value, readable)


def _cte_names(node: Any) -> Iterator[str]:
    """The name of every CTE anywhere in a serialized query."""
    if isinstance(node, list):
        for item in node:
            yield from _cte_names(item)
    elif isinstance(node, dict):
        for entry in (node.get("cte_map") or {}).get("map", []):
            yield entry["key"]
        for value in node.values():
            yield from _cte_names(value)


def _qualified(node: dict[str, Any], *keys: str) -> str:
    return ".".join(part for part in (node.get(key) for key in keys) if part)


def _excerpt(sql: str, limit: int = 80) -> str:
    text = " ".join(sql.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]


class SqlResult:
    """The rows of one query, fetched once in the form asked for (as DuckDB's own result)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    @property
    def description(self) -> list[tuple[Any, ...]]:
        return self._cursor.description or []

    @property
    def columns(self) -> list[str]:
        return [column[0] for column in self.description]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._cursor.fetchone()

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        return self._cursor.fetchmany(size)

    def pl(self) -> pl.DataFrame:
        return self._cursor.pl()

    def df(self) -> Any:  # a pandas DataFrame
        return self._cursor.df()

    def arrow(self) -> pa.Table:
        return self._cursor.fetch_arrow_table()


class SqlConnection:
    """A read-only connection for SQL from anyone: every query passes the :class:`Gate` first.

    Unlike a DuckDB connection it hands out results, never itself or a relation, so no later call
    runs SQL the gate has not seen.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, gate: Gate) -> None:
        self._connection = connection
        self._gate = gate

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> SqlResult:
        """Run one gated query; ``params`` fill its ``?``/``$1`` (a list) or ``$name`` (a dict)."""
        checked = self._gate.check(self._connection, query)
        cursor = self._connection.cursor()
        cursor.execute(checked, params)
        return SqlResult(cursor)

    execute = sql

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> SqlConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def org_connection(
    org_id: str | None = None, roboto_client: Client | None = None, *, admin: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for the library's own queries over the views: the catalog attached
    read-only as ``lake``, the views in the default catalog, file access limited to the catalog's
    data and the configuration locked. It reaches the tables too, so it is never handed to a
    caller's SQL (that is :func:`connect`).
    """
    client = resolve_client(roboto_client)
    if admin and org_id is not None:
        raise InvalidRequestError(f"the admin SQL surface reads every org; got org_id={org_id!r} too")
    org = None if admin else client.resolve_org(org_id, "org_id")
    connection = client.catalog.new_connection(read_only=True)
    try:
        connection.execute("USE memory")
        literal = None if org is None else "'" + org.replace("'", "''") + "'"
        for name, sql in views(literal).items():
            connection.execute(f"CREATE VIEW {name} AS {sql}")
        data = client.catalog.location.data_path
        connection.execute("SET python_enable_replacements = false")  # no Python variable as a table
        connection.execute("SET allowed_directories = $paths", {"paths": [data]})
        connection.execute("SET enable_external_access = false")
        connection.execute("SET lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


def connect(
    org_id: str | None = None, roboto_client: Client | None = None, *, admin: bool = False
) -> SqlConnection:
    """A read-only, gated SQL connection over the org's views (every org's with ``admin``)."""
    connection = org_connection(org_id, roboto_client, admin=admin)
    reserved = connection.execute(
        "SELECT lower(view_name) FROM duckdb_views() WHERE database_name IN ('system', 'temp') "
        "UNION SELECT lower(table_name) FROM duckdb_tables() WHERE database_name IN ('system', 'temp') "
        "UNION SELECT lower(database_name) FROM duckdb_databases()"
    ).fetchall()
    return SqlConnection(connection, Gate(frozenset(VIEW_NAMES), frozenset(name for (name,) in reserved)))


def anchored_sessions(
    org_id: str | None = None, roboto_client: Client | None = None, session_id: str | None = None
) -> dict[str, bool]:
    """Whether each session of the org (or only ``session_id``) is anchored: the
    ``session_anchored`` view, read in one catalog transaction rather than on a connection of its
    own, for surfaces that hold ``Session`` objects (``sessions show``, the summary).

    >>> anchored_sessions(session_id="se_0123456789abcdef")  # doctest: +SKIP
    {'se_0123456789abcdef': False}
    """
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    tables = ",\n".join(f"{t} AS ({_scoped(t, '$org_id')})" for t in ("sessions", "session_files", "files"))
    sql = (
        f"WITH {tables},\nanchored AS ({query_sql('views/session_anchored')})\n"
        "SELECT * FROM anchored WHERE $session_id IS NULL OR session_id = $session_id"
    )

    def read(tx: Tx) -> dict[str, bool]:
        return dict(tx.rows(sql, org_id=org, session_id=session_id))

    return client.catalog.read(read)
