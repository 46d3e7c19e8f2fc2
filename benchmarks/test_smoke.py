"""The benchmarks run end to end at a small size (timings are reported, never asserted).

Marked ``bench``: plain ``pytest`` runs them (CI does), ``-m "not bench"`` leaves them out.
"""

from pathlib import Path

import pytest

from benchmarks import (
    bench_add_file,
    bench_cli,
    bench_contention,
    bench_export,
    bench_fleet_queries,
    bench_inference,
    bench_ingest,
    bench_ingest_workers,
    bench_mcap,
    bench_ulog,
    synthetic_fleet,
)
from benchmarks.synthetic_fleet import FleetShape

pytestmark = pytest.mark.bench

REAL_ULOGS = sorted(bench_ulog.REAL_ULOGS.glob("*.ulg"))


def test_add_file_benchmark_smoke():
    results = bench_add_file.run(sizes=[10, 200], samples=3)
    assert set(results["add_file_s"]) == {10, 200}
    assert all(seconds > 0 for seconds in results["add_file_s"].values())
    for medians in results["operations_s"].values():
        assert set(medians) == set(bench_add_file.OPERATIONS)
        assert all(seconds > 0 for seconds in medians.values())
    statements = results["statements"]
    assert statements[bench_add_file.BARE_INSERT].lake == 1 and statements["add_file"].lake >= 1
    assert len(list(bench_add_file.report(results, "here"))) > 2 * len(bench_add_file.OPERATIONS)


def test_add_file_benchmark_small_writes_smoke():
    results = bench_add_file.run(sizes=[30], samples=4, fill="small")
    assert set(results) == {
        "statements",
        "operations_s",
        "add_file_s",
        "bytes",
        "operations_s_after_compact",
        "add_file_s_after_compact",
        "bytes_after_compact",
    }
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


def test_mcap_benchmark_smoke(tmp_path: Path):
    results = bench_mcap.run(sizes_mb=[1, 3], repeats=1, directory=tmp_path)
    assert set(results) == {1, 3}
    for result in results.values():
        assert result.messages > 0 and result.chunks > 0
        assert result.read_s > 0 and result.summary_s > 0 and result.iterate_s > 0


@pytest.mark.skipif(not REAL_ULOGS, reason=f"no real ULog files in {bench_ulog.REAL_ULOGS}")
def test_ulog_benchmark_runs_on_a_small_log():
    result = bench_ulog.run(min(REAL_ULOGS, key=lambda p: p.stat().st_size), repeats=1)
    assert result["read_s"] > 0 and result["pyulog_s"] > 0 and result["speedup"] > 0


def test_inference_benchmark_runs_at_a_small_size():
    results = bench_inference.run(rows=10_000, devices=100, repeats=1)
    assert results["sort_s"] > 0 and results["infer_s"] > 0 and results["ratio"] > 0
    assert results["sessions"] > 0
    assert results["infer_rss_before_mib"] > 0 and results["infer_peak_growth_mib"] >= 0


def test_the_workers_benchmark_runs_end_to_end(tmp_path: Path):
    """Both catalogs must hold the same rows. In-process against 2 processes: the 1-process run is
    the 2-process code with another limit, and slow."""
    shape = bench_ingest_workers.FolderShape(copies=0, telemetry_files=2, telemetry_rows=2_000)
    result = bench_ingest_workers.run(catalog=str(tmp_path / "catalogs"), workers=(0, 2), shape=shape)
    assert result["files"] == 2 and result["batches"] == 2
    assert result["stored"] == (2, 2, 2)  # files, topic partitions, extents: one each
    assert set(result["seconds"]) == {0, 2} and all(s > 0 for s in result["seconds"].values())
    assert result["speedup"] > 0 and result["batch_speedup"] > 0 and result["reading_speedup"] > 0


def test_ingest_benchmark_smoke(tmp_path: Path):
    results = bench_ingest.run(small_files=20, big_mb=8, repeats=1, directory=tmp_path)
    small, big = results["small"], results["big"]
    assert small.files == 20 and small.chunks_per_file > 1
    assert small.ingests.registered == small.ingests.unchanged == 20 and small.ingests.failed == 0
    assert small.summary_s > 0 and small.ratio > 0 and small.ingests.reingest.seconds > 0
    assert big.messages > 0 and big.chunks > 1 and big.iterate_s > 0 and big.speedup > 0
    assert big.ingests.registered == big.ingests.unchanged == 1
    if bench_ingest.read_chars():  # /proc/self/io (Linux): the recording is read outside the catalog
        assert 0 < big.ingests.reingest.recording_bytes_read <= big.ingests.reingest.bytes_read
    assert len(list(bench_ingest.report(results))) == 18
    assert not list(tmp_path.iterdir()), "the benchmark cleans up"


def test_ingest_benchmark_profile_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bench_ingest.main(["--profile", "--small-files", "3", "--big-mb", "2", "--dir", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "== small: 3 file(s)" in printed and "== big: 1 file(s)" in printed
    assert "reader (read_recording)" in printed and "under cProfile" in printed


def test_fleet_modes_comparison_smoke(tmp_path: Path):
    shape = FleetShape(devices=6, sessions_per_device=2, days=1)
    results = synthetic_fleet.compare(shape, files_per_transaction=8, directory=tmp_path)
    assert results["differences"] == []
    assert results["bulk"]["rows"] == results["api"]["rows"]
    assert set(results["api"]["steps_s"]) == {
        "devices",
        "datasets",
        "files",
        "files: making the requests",
        "sessions",
    }
    assert results["size_ratio"] > 0 and results["api"]["bytes_compacted"] > 0
    assert len(list(synthetic_fleet.compare_report(results))) == 11


def test_register_files_profile_smoke(tmp_path: Path):
    shape = FleetShape(devices=4, sessions_per_device=2, days=1)
    lines = list(synthetic_fleet.profile_register_files(shape, files_per_transaction=4, directory=tmp_path))
    assert lines[0].startswith("register_files: ") and any("put_files" in line for line in lines)
    assert "write transactions" in lines[-1]


def test_cli_benchmark_smoke(tmp_path: Path):
    """The main job builds the fleet's catalog, then each command runs once."""
    results = bench_cli.run(tmp_path / "fleet", repeats=1)
    for name in ("list_s", "bare_s", "show_s", "help_s", "import_s", "ratio"):
        assert results[name] > 0, name


def test_contention_benchmark_smoke():
    """Both modes run the same load; the queued writers never retry (the racing ones may or not)."""
    results = bench_contention.run(calls=6, copies=1, files_per_transaction=8)
    assert set(results["modes"]) == set(bench_contention.MODES) and results["recordings"] > 0
    for result in results["modes"].values():
        assert len(result.latencies.calls) == 6 * bench_contention.WRITERS
        assert result.files_ingested == results["recordings"] and result.busy == 0
        assert result.latencies.percentile(50) > 0
    queued = results["modes"]["queued"]
    assert queued.retries == queued.ingest_retries == 0
    assert (
        len(list(bench_contention.report(results)))
        == 2 + len(bench_contention.MODES) * (2 + len(bench_contention.OPERATIONS)) + 1
    )


def test_export_benchmark_smoke(tmp_path: Path):
    result = bench_export.run(size_mb=4, seconds=120, window_s=10, directory=tmp_path)
    assert result.file_messages == 120 * 250 and result.window_messages == 10 * 250
    assert result.export_s > 0 and result.baseline_s > 0 and result.speedup > 0
    assert not list(tmp_path.iterdir()), "the benchmark cleans up"


def test_topic_data_benchmark_smoke(tmp_path: Path):
    from benchmarks import bench_topic_data

    results = bench_topic_data.run(
        size_mb=2, minutes=2, files=2, file_seconds=20, file_size_mb=0.2, repeats=1, directory=tmp_path
    )
    assert results["minute_rows"] == 60 * bench_topic_data.IMU_HZ
    assert results["session_rows"] > 0 and results["throughput_messages"] == 20 * bench_topic_data.IMU_HZ
    assert results["ours_bytes_read"] < results["file_bytes"]
    assert len(bench_topic_data.report(results)) == 5
