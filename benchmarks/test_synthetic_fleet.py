"""Fleet-size layout on the benchmarks' synthetic fleet: the generator follows from its shape and
seed, maintenance keeps extents sorted by wall clock, and the queries that prune by it answer exactly
as plain Python over the generator's rows.
(The same rules on hand-made rows: tests/store/test_fleet_layout.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from benchmarks.bench_fleet_queries import ReadLog
from benchmarks.synthetic_fleet import (
    MINUTE_NS,
    ORG_ID,
    Fleet,
    FleetShape,
    build_fleet,
    catalog_rows,
    differences,
    write_fleet,
    write_fleet_api,
)
from sessions_lib import Client, Session
from sessions_lib.catalog import Tx
from sessions_lib.queries import ONE_SESSION, WINDOW_TOPICS, with_rules

pytestmark = pytest.mark.bench  # tests of the benchmarks' generator, on fleet-size catalogs

SMALL_FLEET = FleetShape(devices=12, sessions_per_device=3, days=2)
ROW_GROUP_ROWS = 16_384  # what Catalog.compact() writes


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return build_fleet(SMALL_FLEET)


@pytest.fixture(scope="module")
def compacted(tmp_path_factory: pytest.TempPathFactory, fleet: Fleet) -> Iterator[Client]:
    """The small fleet written shuffled, in many small transactions, then compacted."""
    client = Client(tmp_path_factory.mktemp("fleet") / "catalog", user="tester", org_ids=[ORG_ID])
    write_fleet(client.catalog, fleet, order="shuffled", batch_rows=500)
    client.catalog.compact(keep_snapshots_for=timedelta(0))
    yield client
    client.catalog.close()


def rows_of(sql: str, tx: Tx, **params: Any) -> list[tuple[Any, ...]]:
    return tx.rows(sql, org_id=ORG_ID, **params)


def frame(fleet: Fleet, table: str) -> pl.DataFrame:
    return pl.from_arrow(fleet.tables[table])  # type: ignore[return-value]


# -- the oracle: polars over the generator's rows ------------------------------------------


def extents_with_topics(fleet: Fleet) -> pl.DataFrame:
    """Extents with the topic of their partition (not their own denormalized copy of it)."""
    partitions = frame(fleet, "topic_partitions").select("topic_part_id", "topic_id")
    return frame(fleet, "timeline_extents").drop("topic_id").join(partitions, on="topic_part_id")


def oracle_window_topics(fleet: Fleet, start_ns: int, end_ns: int) -> list[tuple[str, str]]:
    overlapping = extents_with_topics(fleet).filter(
        (pl.col("min_timestamp") + pl.col("unix_epoch_offset_ns") <= end_ns)
        & (pl.col("max_timestamp") + pl.col("unix_epoch_offset_ns") >= start_ns)
    )
    topics = frame(fleet, "topics").join(overlapping.select("topic_id").unique(), on="topic_id")
    return sorted((row["topic_id"], row["name"]) for row in topics.iter_rows(named=True))


def oracle_session_topics(fleet: Fleet, session_id: str) -> list[tuple[str, str]]:
    extents = extents_with_topics(fleet).with_columns(
        lo=pl.col("min_timestamp") + pl.col("unix_epoch_offset_ns"),
        hi=pl.col("max_timestamp") + pl.col("unix_epoch_offset_ns"),
    )
    file_windows = extents.group_by("file_id").agg(file_lo=pl.col("lo").min(), file_hi=pl.col("hi").max())
    windows = (
        frame(fleet, "session_files")
        .filter(pl.col("session_id") == session_id)
        .join(file_windows, on="file_id", how="left")
        .select(
            "file_id",
            w_lo=pl.coalesce("range_min_timestamp_ns", "file_lo"),
            w_hi=pl.coalesce("range_max_timestamp_ns", "file_hi"),
        )
    )
    held = extents.join(windows, on="file_id").filter(
        (pl.col("lo") <= pl.col("w_hi")) & (pl.col("hi") >= pl.col("w_lo"))
    )
    topics = frame(fleet, "topics").join(held.select("topic_id").unique(), on="topic_id")
    return sorted((row["name"], row["topic_id"]) for row in topics.iter_rows(named=True))


# -- the generator --------------------------------------------------------------------------


def test_the_fleet_follows_from_its_shape_and_seed(fleet: Fleet) -> None:
    again = build_fleet(SMALL_FLEET)
    assert all(fleet.tables[name].equals(again.tables[name]) for name in fleet.tables)
    other = build_fleet(FleetShape(devices=12, sessions_per_device=3, days=2, seed=1))
    assert not other.tables["timeline_extents"].equals(fleet.tables["timeline_extents"])
    assert fleet.tables["devices"].num_rows == 12
    assert fleet.tables["sessions"].num_rows == 36
    for table, key in (
        ("timeline_extents", "timeline_extent_id"),
        ("files", "file_id"),
        ("sessions", "session_id"),
    ):
        ids = frame(fleet, table)[key]
        assert ids.n_unique() == len(ids)


def test_the_fleets_stored_columns_agree_with_what_they_derive_from(fleet: Fleet) -> None:
    extents = frame(fleet, "timeline_extents")
    assert extents.filter(
        (pl.col("min_wall_ns") != pl.col("min_timestamp") + pl.col("unix_epoch_offset_ns"))
        | (pl.col("max_wall_ns") != pl.col("max_timestamp") + pl.col("unix_epoch_offset_ns"))
        | (pl.col("min_wall_ns") > pl.col("max_wall_ns"))
    ).is_empty()
    assert (extents["unix_epoch_offset_ns"] != 0).any(), "drones record boot-relative time"
    spans = extents.group_by("topic_part_id", "topic_id").agg(
        pl.col("min_wall_ns").min().alias("lo"), pl.col("max_wall_ns").max().alias("hi")
    )
    partitions = frame(fleet, "topic_partitions").join(spans, on="topic_part_id", how="left")
    assert partitions.filter(
        (pl.col("min_wall_ns") != pl.col("lo"))
        | (pl.col("max_wall_ns") != pl.col("hi"))
        | (pl.col("topic_id") != pl.col("topic_id_right"))
    ).is_empty()


def test_stored_session_bounds_equal_the_recomputed_ones(compacted: Client, fleet: Fleet) -> None:
    sql = with_rules(ONE_SESSION) + "SELECT min_timestamp_ns, max_timestamp_ns FROM session_bounds"
    for row in frame(fleet, "sessions").iter_rows(named=True):
        bounds = compacted.catalog.read(partial(rows_of, sql, session_id=row["session_id"]))
        assert bounds == [(row["min_timestamp_ns"], row["max_timestamp_ns"])]


def test_the_api_mode_stores_the_rows_of_the_bulk_mode(tmp_path: Path, fleet: Fleet) -> None:
    """Through register_device, register_dataset, register_files (in several transactions) and the
    inferred sessions' write, the catalog holds what the bulk write puts there, modulo the random
    ids of partitions and extents: the same files, topics, partitions, spans and sessions."""
    bulk = Client(tmp_path / "bulk", user="tester", org_ids=[ORG_ID])
    write_fleet(bulk.catalog, fleet)
    api = Client(tmp_path / "api", user="tester", org_ids=[ORG_ID])
    steps = write_fleet_api(api, fleet, files_per_transaction=16)
    assert set(steps) == {"devices", "datasets", "files", "files: making the requests", "sessions"}
    expected, stored = catalog_rows(bulk.catalog), catalog_rows(api.catalog)
    bulk.catalog.close()
    api.catalog.close()
    assert differences(expected, stored) == []
    for table in ("files", "topics", "topic_partitions", "timeline_extents", "sessions", "session_files"):
        assert stored[table].height == fleet.tables[table].num_rows, table
    extents = stored["timeline_extents"]
    elsewhere = (pl.col("file_id") != pl.col("partition_file_id")) | (
        pl.col("topic_id") != pl.col("partition_topic_id")
    )
    assert extents.filter(elsewhere).is_empty(), "every extent belongs to a partition of its file and topic"
    spans = frame(fleet, "timeline_extents").select(
        "file_id", "topic_id", "min_timestamp", "max_timestamp", "unix_epoch_offset_ns"
    )
    assert extents.select(spans.columns).sort(spans.columns).equals(spans.sort(spans.columns))


# -- the layout -----------------------------------------------------------------------------


def test_compaction_sorts_extents_by_wall_clock(compacted: Client) -> None:
    connection = compacted.catalog.connection()
    files = [path for (path,) in connection.execute(
        "SELECT data_file FROM ducklake_list_files('lake', 'timeline_extents')"
    ).fetchall()]  # fmt: skip
    assert files
    for path in files:
        starts = [
            s
            for (s,) in connection.execute("SELECT min_wall_ns FROM read_parquet($p)", {"p": path}).fetchall()
        ]
        assert starts == sorted(starts), path
        (largest,) = connection.execute(
            "SELECT max(row_group_num_rows) FROM parquet_metadata($p)", {"p": path}
        ).fetchall()[0]
        assert largest <= ROW_GROUP_ROWS


def test_a_time_window_reads_a_small_share_of_the_extents(tmp_path: Path) -> None:
    fleet = build_fleet(FleetShape(devices=100, sessions_per_device=8, days=4))
    client = Client(tmp_path / "catalog", user="tester", org_ids=[ORG_ID])
    write_fleet(client.catalog, fleet, order="shuffled", batch_rows=20_000)
    client.catalog.compact(keep_snapshots_for=timedelta(0))
    log = ReadLog(client.catalog, "timeline_extents")
    start_ns = fleet.start_ns + 30 * 60 * MINUTE_NS
    share = log.share(
        WINDOW_TOPICS, {"org_id": ORG_ID, "start_ns": start_ns, "end_ns": start_ns + 60 * MINUTE_NS}
    )
    log.close()
    client.catalog.close()
    assert share.row_groups >= 5
    assert 1 <= share.row_groups_read <= 2


# -- the queries, against the oracle ---------------------------------------------------------


@pytest.mark.parametrize("start_min, length_min", [(0, 60), (725, 1), (1500, 180), (-600, 30), (4000, 60)])
def test_window_topics_equal_the_oracle(
    compacted: Client, fleet: Fleet, start_min: int, length_min: int
) -> None:
    start_ns = fleet.start_ns + start_min * MINUTE_NS
    end_ns = start_ns + length_min * MINUTE_NS
    rows = compacted.catalog.read(
        lambda tx: tx.rows(WINDOW_TOPICS, org_id=ORG_ID, start_ns=start_ns, end_ns=end_ns)
    )
    assert sorted((topic_id, name) for topic_id, _, name in rows) == oracle_window_topics(
        fleet, start_ns, end_ns
    )
    assert [name for _, _, name in rows] == sorted(name for _, _, name in rows)


def test_list_topics_equals_the_oracle_on_a_compacted_fleet(compacted: Client, fleet: Fleet) -> None:
    for session_id in frame(fleet, "sessions")["session_id"]:
        session = Session.from_id(session_id, roboto_client=compacted)
        listed = [(topic.name, topic.topic_id) for topic in session.list_topics()]
        assert listed == oracle_session_topics(fleet, session_id)
