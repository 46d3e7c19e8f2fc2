"""The add_file benchmark runs end to end at a small size (timings are reported, never asserted)."""

from tests.benchmarks import bench_add_file


def test_add_file_benchmark_smoke():
    medians = bench_add_file.run(sizes=[10, 200], samples=3)
    assert set(medians) == {10, 200}
    assert all(seconds > 0 for seconds in medians.values())
