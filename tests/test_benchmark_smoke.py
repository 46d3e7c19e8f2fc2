"""The benchmarks run end to end at a small size (timings are reported, never asserted)."""

from tests.benchmarks import bench_add_file, bench_fleet_queries
from tests.benchmarks.synthetic_fleet import FleetShape


def test_add_file_benchmark_smoke():
    results = bench_add_file.run(sizes=[10, 200], samples=3)
    assert set(results["add_file_s"]) == {10, 200}
    assert all(seconds > 0 for seconds in results["add_file_s"].values())


def test_add_file_benchmark_small_writes_smoke():
    results = bench_add_file.run(sizes=[30], samples=4, fill="small")
    assert set(results) == {"add_file_s", "bytes", "add_file_s_after_compact", "bytes_after_compact"}
    assert results["bytes_after_compact"][30] > 0


def test_fleet_queries_benchmark_smoke():
    shape = FleetShape(devices=8, sessions_per_device=2, days=1)
    outcome = bench_fleet_queries.run(shape, samples=3, batch_rows=2_000)
    assert outcome["devices"] == 8 and outcome["sessions"] == 16 and outcome["extents"] > 0
    results = outcome["results"]
    assert set(results) == {
        bench_fleet_queries.LIST_TOPICS.name,
        bench_fleet_queries.WINDOW_TOPICS_QUERY.name,
    }
    for result in results.values():
        assert all(seconds > 0 for seconds in result.seconds.values())
        share = result.share
        assert share.files >= 1 and share.row_groups >= 1
        assert share.files_read <= share.files and share.row_groups_read <= share.row_groups
    assert results[bench_fleet_queries.LIST_TOPICS.name].share.row_groups_read >= 1
    assert len(list(bench_fleet_queries.report(outcome))) == 2 + len(results) + 1
