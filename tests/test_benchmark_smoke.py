"""The add_file benchmark runs end to end at a small size (timings are reported, never asserted)."""

from tests.benchmarks import bench_add_file


def test_add_file_benchmark_smoke():
    results = bench_add_file.run(sizes=[10, 200], samples=3)
    assert set(results["add_file_s"]) == {10, 200}
    assert all(seconds > 0 for seconds in results["add_file_s"].values())


def test_add_file_benchmark_small_writes_smoke():
    results = bench_add_file.run(sizes=[30], samples=4, fill="small")
    assert set(results) == {"add_file_s", "bytes", "add_file_s_after_compact", "bytes_after_compact"}
    assert results["bytes_after_compact"][30] > 0
