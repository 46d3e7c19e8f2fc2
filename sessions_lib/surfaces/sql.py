"""Ad-hoc SQL: a DuckDB connection with the catalog attached and views scoped to one org.

>>> con = connect()                                             # doctest: +SKIP
>>> con.sql("SELECT * FROM session_bounds ORDER BY min_timestamp_ns").pl()   # doctest: +SKIP

The views are the rules of ``sessions_lib.queries`` over every session of the org, so they answer
exactly as ``Session`` does:

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

The catalog's tables stay reachable as ``lake.<table>`` for anything else; they hold every org's
rows, so filter on ``org_id`` there.
"""

from __future__ import annotations

import duckdb

from sessions_lib.catalog import LAKE, Tx
from sessions_lib.client import Client, resolve_client
from sessions_lib.queries import query_sql, with_rules

# The org's contributions, named with the full table path: the view ``session_files`` below would
# otherwise shadow the table inside the rules.
_ORG_CONTRIBUTIONS = f"SELECT * FROM {LAKE}.main.session_files WHERE org_id = $org_id"

VIEWS: dict[str, str] = {
    "session_bounds": with_rules(_ORG_CONTRIBUTIONS)
    + "SELECT session_id, min_timestamp_ns, max_timestamp_ns FROM session_bounds",
    "session_files": with_rules(_ORG_CONTRIBUTIONS) + query_sql("views/session_files"),
    "session_topics": with_rules(_ORG_CONTRIBUTIONS)
    + "SELECT session_id, topic_id, name FROM session_topics",
    "device_sessions": query_sql("views/device_sessions"),
    "session_anchored": query_sql("views/session_anchored"),
}


def connect(org_id: str | None = None, roboto_client: Client | None = None) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection: the catalog attached as ``lake`` and in use, the views above."""
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    connection = client.catalog.new_connection()
    literal = "'" + org.replace("'", "''") + "'"
    for name, sql in VIEWS.items():
        connection.execute(f"CREATE TEMP VIEW {name} AS {sql.replace('$org_id', literal)}")
    return connection


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
    sql = f"SELECT * FROM ({VIEWS['session_anchored']}) WHERE $session_id IS NULL OR session_id = $session_id"

    def read(tx: Tx) -> dict[str, bool]:
        return dict(tx.rows(sql, org_id=org, session_id=session_id))

    return client.catalog.read(read)
