"""Polars frames for notebooks: an org's sessions, a session's files and topics, a topic's extents.

Every frame is a query over the org-scoped views of :func:`sessions_lib.surfaces.sql.org_connection`
(``session_bounds``, ``session_files``, ``session_topics``, ``device_sessions``), so bounds, windows
and topics are the rules of ``sessions_lib.queries`` and answer exactly as ``Session`` does.

Where the data may be large the result is a ``LazyFrame`` over a DuckDB relation
(``relation.pl(lazy=True)``): nothing is read until ``collect()``, polars pushes its projections,
filters and limits down into DuckDB, and each ``collect()`` reads the catalog as it is then (DuckDB
errors met there are DuckDB's own). Such a frame keeps its own DuckDB connection, closed when the
frame is garbage-collected. Small answers (one session's files and topics) are plain ``DataFrame``
objects. Times are Unix-epoch ns; ``start`` and ``end`` are the same instants as UTC datetimes.
Rows of unanchored sessions or files (``anchored`` false: a boot-relative or simulated clock) hold
ns from their recording's own zero: their ``start``/``end`` are null, not 1970 dates, and
``format_ns(ns, anchored=False)`` shows their times as ``t+HH:MM:SS.mmm``.
:class:`OrgFrames` asks several of these questions over one connection, and answers the sessions
one as plain rows too (:meth:`OrgFrames.sessions_rows`, for printing without polars or Arrow).

>>> import polars as pl
>>> sessions_frame(name_contains="flight").filter(pl.col("file_count") > 1).collect()  # doctest: +SKIP
>>> topic_extents_frame("se_0123456789abcdef", "/imu").filter(pl.col("in_window")).collect()  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb

from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import CatalogError, InvalidRequestError, NotFoundError
from sessions_lib.model.validation import is_int64
from sessions_lib.queries import query_sql
from sessions_lib.surfaces.sql import org_connection

if TYPE_CHECKING:  # polars loads with the first frame built (DuckDB's .pl() and _datetimes)
    import polars as pl

# Parameters are DuckDB variables (``getvariable``), set per connection with their types: a
# relation built with prepared parameters would be materialized at once, one on variables stays lazy.
_VARIABLE_TYPES = {
    "org_id": "VARCHAR",
    "session_id": "VARCHAR",
    "device_id": "VARCHAR",
    "name_contains": "VARCHAR",
    "topic_name": "VARCHAR",
    "start_ns": "BIGINT",
    "end_ns": "BIGINT",
    "tolerance_ns": "BIGINT",
}

# The longer queries are files in sessions_lib/queries/frames/; short lookups stay here.
_SESSIONS = query_sql("frames/sessions")
_EXTENTS = query_sql("frames/extents")
# One device's extents in a window ([start_ns, end_ns], either side open), for the coverage rule.
_DEVICE_COVERAGE = (
    """
WITH device_spans AS (
    SELECT f.device_id, te.file_id,
           greatest(te.min_wall_ns, coalesce(getvariable('start_ns'), te.min_wall_ns)) AS lo,
           least(te.max_wall_ns, coalesce(getvariable('end_ns'), te.max_wall_ns)) AS hi
    FROM lake.main.timeline_extents AS te
    JOIN lake.main.files AS f ON f.org_id = te.org_id AND f.file_id = te.file_id
    WHERE te.org_id = getvariable('org_id') AND f.device_id = getvariable('device_id')
      AND f.anchored IS NOT FALSE
      AND (getvariable('start_ns') IS NULL OR te.max_wall_ns >= getvariable('start_ns'))
      AND (getvariable('end_ns') IS NULL OR te.min_wall_ns <= getvariable('end_ns'))
),
coverage_settings AS (SELECT getvariable('tolerance_ns') AS tolerance_ns)
SELECT * FROM (
"""
    + query_sql("rules/device_coverage")
    + ") ORDER BY start_ns"
)

_CONTRIBUTIONS = """
SELECT * FROM session_files
WHERE getvariable('session_id') IS NULL OR session_id = getvariable('session_id')
ORDER BY session_id, file_id
"""

_TOPICS = """
SELECT topic_id, name FROM session_topics
WHERE session_id = getvariable('session_id')
ORDER BY name, topic_id
"""

_DEVICES = """
SELECT device_id, name, device_type FROM lake.main.devices
WHERE org_id = getvariable('org_id')
ORDER BY name, device_id
"""


def sessions_frame(
    org_id: str | None = None,
    *,
    device_id: str | None = None,
    name_contains: str | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    roboto_client: Client | None = None,
) -> pl.LazyFrame:
    """One row per session of the org, oldest first (by ``min_timestamp_ns``, then ``session_id``).

    Columns: ``session_id, name, origin, min_timestamp_ns, max_timestamp_ns, device_ids,
    file_count, topic_count, anchored, start, end``. ``anchored`` is the ``session_anchored`` view:
    false when a file the session holds is not Unix-epoch time. Sessions without contributions
    have null bounds and come last. Filters (all optional, combined): attached to ``device_id``;
    ``name_contains`` (case-insensitive); overlapping the closed window ``[start_ns, end_ns]``
    (either side may be left open; a session without bounds overlaps nothing). The window is wall
    clock: an unanchored session is never in it.

    >>> sessions_frame(device_id="dv_falcon", start_ns=t0).select("name", "start").collect()  # doctest: +SKIP
    """
    return _lazy_from(
        OrgFrames(org_id, roboto_client),
        lambda frames: frames.sessions(
            device_id=device_id, name_contains=name_contains, start_ns=start_ns, end_ns=end_ns
        ),
    )


def contributions_frame(org_id: str | None = None, *, roboto_client: Client | None = None) -> pl.LazyFrame:
    """Every contribution of the org: the ``session_files`` view plus ``start``/``end`` datetimes.

    One row per (session, file) with the file's dataset, path and device, its optional range, its
    contribution window (``window_min_ns``, ``window_max_ns``) and whether the file is
    ``anchored``; by session, then file.

    >>> contributions_frame().filter(pl.col("range_min_timestamp_ns").is_not_null())  # doctest: +SKIP
    """
    return _lazy_from(OrgFrames(org_id, roboto_client), lambda frames: frames.contributions())


def session_files_frame(
    session_id: str, *, org_id: str | None = None, roboto_client: Client | None = None
) -> pl.DataFrame:
    """One session's contributions (the ``session_files`` view rows, in ``list_files`` order).

    ``start``/``end`` are the contribution window as UTC datetimes (null for an unanchored file).
    An unknown session, or another org's, raises ``NotFoundError``.

    >>> session_files_frame("se_0123456789abcdef").select("relative_path", "start", "end")  # doctest: +SKIP
    """
    with OrgFrames(org_id, roboto_client) as frames:
        return frames.session_files(session_id)


def session_topics_frame(
    session_id: str, *, org_id: str | None = None, roboto_client: Client | None = None
) -> pl.DataFrame:
    """One session's topics (``topic_id, name``), exactly ``Session.list_topics()`` in its order.

    >>> session_topics_frame("se_0123456789abcdef")["name"].to_list()  # doctest: +SKIP
    ['/camera', '/imu']
    """
    with OrgFrames(org_id, roboto_client) as frames:
        return frames.session_topics(session_id)


def session_extents_frame(
    session_id: str, *, org_id: str | None = None, roboto_client: Client | None = None
) -> pl.LazyFrame:
    """Every extent on the files one session holds, each topic's, with ``in_window`` (see below).

    The columns of :func:`topic_extents_frame`, for all topics at once (by topic name, topic id,
    then wall-clock start): what a timeline of the session draws.
    """
    return _lazy_from(OrgFrames(org_id, roboto_client), lambda frames: frames.session_extents(session_id))


def topic_extents_frame(
    session_id: str, topic_name: str, *, org_id: str | None = None, roboto_client: Client | None = None
) -> pl.LazyFrame:
    """The extents behind one topic in one session: every extent of the topic on a file it holds.

    Columns: ``topic_id, topic_name, file_id, relative_path, partition_key, timeline_source,
    min_timestamp, max_timestamp, unix_epoch_offset_ns`` (as stored), ``min_wall_ns, max_wall_ns``
    (wall clock = stored + offset), ``window_min_ns, window_max_ns`` (its file's contribution window),
    ``in_window`` (the extent overlaps that window, closed intervals: the ``list_topics`` rule),
    ``anchored`` (its file's) and ``start``/``end``. The topic is in ``list_topics()`` exactly when
    some row has ``in_window``. An unknown session or topic name raises ``NotFoundError``; a known
    topic the session's files do not carry gives no rows.

    >>> topic_extents_frame("se_0123456789abcdef", "/camera").filter(pl.col("in_window"))  # doctest: +SKIP
    """
    return _lazy_from(
        OrgFrames(org_id, roboto_client), lambda frames: frames.topic_extents(session_id, topic_name)
    )


def device_coverage_frame(
    device_id: str,
    *,
    start_ns: int | None = None,
    end_ns: int | None = None,
    tolerance_ns: int = 0,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> pl.DataFrame:
    """When the device has data: its wall-clock ranges, from the extents alone (no recording read).

    Every extent of the device's anchored files, clipped to the closed window ``[start_ns,
    end_ns]`` (either side may be left open), merged wherever the gap between them is at most
    ``tolerance_ns`` (overlapping and touching extents always merge). Columns: ``device_id,
    start_ns, end_ns, extent_count, file_count, start, end``, in time order. Files whose clock is
    not Unix time are left out. An unknown device, or another org's, raises ``NotFoundError``.

    >>> device_coverage_frame("dv_falcon", tolerance_ns=60 * 10**9)  # doctest: +SKIP
    """
    with OrgFrames(org_id, roboto_client) as frames:
        return frames.device_coverage(device_id, start_ns=start_ns, end_ns=end_ns, tolerance_ns=tolerance_ns)


def devices_frame(org_id: str | None = None, *, roboto_client: Client | None = None) -> pl.DataFrame:
    """The org's devices (``device_id, name, device_type``), by name: labels for session rows.

    >>> devices_frame().row(0, named=True)["name"]  # doctest: +SKIP
    'falcon'
    """
    with OrgFrames(org_id, roboto_client) as frames:
        return frames.devices()


class OrgFrames:
    """The frames above over one DuckDB connection: for callers asking many questions at once.

    Each function above opens a connection of its own (a few hundred ms: extensions, attach,
    views); a timeline asks six questions, so it asks them here. Lazy frames read through this
    connection: collect them before :meth:`close` (or the end of the ``with`` block).

    >>> with OrgFrames(roboto_client=client) as frames:  # doctest: +SKIP
    ...     flights = frames.sessions(name_contains="flight").collect()
    ...     topics = frames.session_topics(flights["session_id"][0])
    """

    def __init__(self, org_id: str | None = None, roboto_client: Client | None = None) -> None:
        client = resolve_client(roboto_client)
        self.org_id = client.resolve_org(org_id, "org_id")
        self._connection = org_connection(self.org_id, client)

    def sessions(
        self,
        *,
        device_id: str | None = None,
        name_contains: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> pl.LazyFrame:
        """See :func:`sessions_frame`."""
        filters = dict(device_id=device_id, name_contains=name_contains, start_ns=start_ns, end_ns=end_ns)
        frame = self._lazy(_SESSIONS, org_id=self.org_id, **filters)
        return frame.with_columns(_datetimes("min_timestamp_ns", "max_timestamp_ns"))

    def sessions_rows(
        self,
        *,
        device_id: str | None = None,
        name_contains: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> list[dict[str, Any]]:
        """The rows of :meth:`sessions` as dicts, without ``start``/``end``: read straight from
        DuckDB, for callers that only print them (``sessions list``), so polars never loads."""
        filters = dict(device_id=device_id, name_contains=name_contains, start_ns=start_ns, end_ns=end_ns)
        relation = self._relation(_SESSIONS, org_id=self.org_id, **filters)
        with _catalog_errors():
            return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]

    def contributions(self) -> pl.LazyFrame:
        """See :func:`contributions_frame`."""
        frame = self._lazy(_CONTRIBUTIONS, session_id=None)
        return frame.with_columns(_datetimes("window_min_ns", "window_max_ns"))

    def session_files(self, session_id: str) -> pl.DataFrame:
        """See :func:`session_files_frame`."""
        self._require_session(session_id)
        frame = self._lazy(_CONTRIBUTIONS, session_id=session_id)
        return frame.with_columns(_datetimes("window_min_ns", "window_max_ns")).collect()

    def session_topics(self, session_id: str) -> pl.DataFrame:
        """See :func:`session_topics_frame`."""
        self._require_session(session_id)
        return self._lazy(_TOPICS, session_id=session_id).collect()

    def session_extents(self, session_id: str) -> pl.LazyFrame:
        """See :func:`session_extents_frame`."""
        self._require_session(session_id)
        return self._extents(session_id, None)

    def topic_extents(self, session_id: str, topic_name: str) -> pl.LazyFrame:
        """See :func:`topic_extents_frame`."""
        self._require_session(session_id)
        sql = "SELECT EXISTS (SELECT 1 FROM lake.main.topics WHERE org_id = ? AND name = ?)"
        if not self._scalar(sql, [self.org_id, topic_name]):
            raise NotFoundError("topic", topic_name, self.org_id)
        return self._extents(session_id, topic_name)

    def device_coverage(
        self, device_id: str, *, start_ns: int | None, end_ns: int | None, tolerance_ns: int
    ) -> pl.DataFrame:
        """See :func:`device_coverage_frame`."""
        import polars as pl

        for name, value in (("start_ns", start_ns), ("end_ns", end_ns), ("tolerance_ns", tolerance_ns)):
            if value is not None and not is_int64(value):
                raise InvalidRequestError(f"{name} must be int64 nanoseconds, got {value!r}")
        if tolerance_ns < 0:
            raise InvalidRequestError(f"tolerance_ns must not be negative, got {tolerance_ns}")
        if start_ns is not None and end_ns is not None and start_ns > end_ns:
            raise InvalidRequestError(f"the window's start_ns ({start_ns}) is after its end_ns ({end_ns})")
        sql = "SELECT EXISTS (SELECT 1 FROM lake.main.devices WHERE org_id = ? AND device_id = ?)"
        if not self._scalar(sql, [self.org_id, device_id]):
            raise NotFoundError("device", device_id, self.org_id)
        window = dict(start_ns=start_ns, end_ns=end_ns, tolerance_ns=tolerance_ns)
        variables = dict(org_id=self.org_id, device_id=device_id, **window)
        frame = self._lazy(_DEVICE_COVERAGE, **variables).with_columns(anchored=pl.lit(True))
        return frame.with_columns(_datetimes("start_ns", "end_ns")).drop("anchored").collect()

    def devices(self) -> pl.DataFrame:
        """See :func:`devices_frame`."""
        return self._lazy(_DEVICES, org_id=self.org_id).collect()

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> OrgFrames:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------

    def _lazy(self, sql: str, **variables: Any) -> pl.LazyFrame:
        """``sql`` as a lazy frame (see :meth:`_relation`)."""
        relation = self._relation(sql, **variables)
        with _catalog_errors():
            return relation.pl(lazy=True)

    def _relation(self, sql: str, **variables: Any) -> duckdb.DuckDBPyRelation:
        """``sql`` as a DuckDB relation, its ``getvariable`` parameters set under names of its own.

        Variables belong to the connection, so each frame gets fresh names: a later frame on the
        same connection cannot change what an earlier, not yet collected, one reads.
        """
        prefix = f"f{next(_frame_numbers)}_"
        for name in variables:
            sql = sql.replace(f"getvariable('{name}')", f"getvariable('{prefix}{name}')")
        with _catalog_errors():
            for name, value in variables.items():
                kind = _VARIABLE_TYPES[name]
                self._connection.execute(f"SET VARIABLE {prefix}{name} = CAST(? AS {kind})", [value])
            return self._connection.sql(sql)

    def _extents(self, session_id: str, topic_name: str | None) -> pl.LazyFrame:
        variables = dict(org_id=self.org_id, session_id=session_id, topic_name=topic_name)
        return self._lazy(_EXTENTS, **variables).with_columns(_datetimes("min_wall_ns", "max_wall_ns"))

    def _require_session(self, session_id: str) -> None:
        sql = "SELECT EXISTS (SELECT 1 FROM lake.main.sessions WHERE org_id = ? AND session_id = ?)"
        if not self._scalar(sql, [self.org_id, session_id]):
            raise NotFoundError("session", session_id, self.org_id)

    def _scalar(self, sql: str, params: list[Any]) -> Any:
        with _catalog_errors():
            row = self._connection.execute(sql, params).fetchone()
        return None if row is None else row[0]


_frame_numbers = itertools.count()


def _lazy_from(frames: OrgFrames, build: Callable[[OrgFrames], pl.LazyFrame]) -> pl.LazyFrame:
    """A lazy frame of a connection of its own: it keeps the connection open until it is dropped."""
    try:
        return build(frames)
    except BaseException:
        frames.close()
        raise


@contextmanager
def _catalog_errors() -> Iterator[None]:
    """DuckDB errors become the library's ``CatalogError``, once, where they cross into our code."""
    try:
        yield
    except duckdb.Error as error:
        raise CatalogError(f"catalog error: {error}") from error


def _datetimes(min_column: str, max_column: str) -> list[pl.Expr]:
    """``start``/``end``: the two ns columns as UTC datetimes where the row is ``anchored``, else
    null (relative times are not dates)."""
    import polars as pl

    def utc(column: str) -> pl.Expr:
        moment = pl.from_epoch(pl.col(column), time_unit="ns").dt.replace_time_zone("UTC")
        return pl.when(pl.col("anchored")).then(moment)

    return [utc(min_column).alias("start"), utc(max_column).alias("end")]
