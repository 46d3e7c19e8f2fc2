"""SQL longer than a lookup, one named ``.sql`` file each, by concern: ``rules/`` (the semantics:
file and contribution windows, bounds, topics), ``pages/`` (the API's keyset-paginated lists).

Each rule in ``rules/`` is a SELECT over the catalog's tables and the rules before it. All of
them start from ``contributions``: the ``session_files`` rows in scope, which the caller chooses
(one session, the sessions holding any of some files, or every session for a view). ``with_rules(scope)``
chains them into one ``WITH`` prefix, so ``Session``, the SQL views and the asset checks ask the
same question the same way:

>>> sql = with_rules(ONE_SESSION) + "SELECT * FROM session_bounds"

Two queries stand apart from that chain: ``DEVICE_ACTIVITY`` (what inference reads) and
``WINDOW_TOPICS`` (the topics with data in a wall-clock window). Extents are filtered on their
stored wall clock (``min_wall_ns``, ``max_wall_ns``), the columns they are kept sorted by, so the
scans skip the Parquet files and row groups outside the windows asked about.

The surfaces' longer queries sit in subfolders by concern, read with ``query_sql``:
``views/`` (the SQL views of ``surfaces.sql``) and ``frames/`` (the polars frames); ``session/``
holds the statements one call on a session writes with (``store.sessions``).
"""

from collections.abc import Container
from functools import cache
from importlib import resources

RULES: tuple[str, ...] = (
    "file_windows",
    "contribution_windows",
    "session_bounds",
    "session_topics",
)

# Contributions scopes; parameters are named ($org_id, $session_id).
ONE_SESSION = "SELECT * FROM session_files WHERE org_id = $org_id AND session_id = $session_id"
ORG_SESSIONS = "SELECT * FROM session_files WHERE org_id = $org_id"
# The sessions holding any file of the table `replaced` (file_id), e.g. files just re-registered.
SESSIONS_HOLDING_FILES = """
SELECT * FROM session_files
WHERE org_id = $org_id
  AND session_id IN (
      SELECT session_id FROM session_files
      WHERE org_id = $org_id AND file_id IN (SELECT file_id FROM replaced))
"""


@cache
def query_sql(path: str) -> str:
    """The SQL text of a named query, by its path in this folder without ``.sql``
    (``"rules/session_bounds"``, ``"pages/sessions"``)."""
    return resources.files(__package__).joinpath(*f"{path}.sql".split("/")).read_text()


def rule_sql(name: str) -> str:
    """The SQL text of one rule (``rules/{name}.sql``)."""
    return query_sql(f"rules/{name}")


def with_rules(contributions_scope: str) -> str:
    """A ``WITH`` prefix defining ``contributions`` as the given scope, then every rule.

    ``contributions`` is materialized: the rules read it twice, and keeping its rows costs less
    than looking them up in ``session_files`` a second time.
    """
    return _with(
        [
            ("contributions", contributions_scope),
            ("scoped_files", "SELECT DISTINCT file_id FROM contributions"),
            *((name, rule_sql(name)) for name in RULES),
        ],
        materialized={"contributions"},
    )


def with_file_windows(files_scope: str) -> str:
    """A ``WITH`` prefix defining ``file_windows`` for the files the scope selects (``file_id``)."""
    return _with([("scoped_files", files_scope), ("file_windows", rule_sql("file_windows"))])


# Files scopes (file_id); parameters as above.
DEVICE_FILES = "SELECT file_id FROM files WHERE org_id = $org_id AND device_id IS NOT NULL"


def _with(ctes: list[tuple[str, str]], materialized: Container[str] = ()) -> str:
    return (
        "WITH "
        + ",\n".join(
            f"{name} AS {'MATERIALIZED ' if name in materialized else ''}(\n{sql.strip()}\n)"
            for name, sql in ctes
        )
        + "\n"
    )


DEVICE_ACTIVITY = with_file_windows(DEVICE_FILES) + rule_sql("device_activity")

# The sessions of the table `listed` (session_id), and the UPDATE that stores the rules' bounds
# for a scope.
LISTED_SESSIONS = (
    "SELECT * FROM session_files WHERE org_id = $org_id AND session_id IN (SELECT session_id FROM listed)"
)


def refresh_bounds(contributions_scope: str) -> str:
    """An UPDATE storing, on each session the scope holds contributions of, the bounds the rules
    recompute from those contributions (the one way stored bounds are refreshed in bulk)."""
    return f"""
UPDATE sessions
SET min_timestamp_ns = b.min_timestamp_ns, max_timestamp_ns = b.max_timestamp_ns
FROM ({with_rules(contributions_scope)} SELECT * FROM session_bounds) AS b
WHERE sessions.org_id = b.org_id AND sessions.session_id = b.session_id
"""


# Topics with data in a wall-clock window of an org ($org_id, $start_ns, $end_ns); needs no scope.
WINDOW_TOPICS = rule_sql("window_topics")
