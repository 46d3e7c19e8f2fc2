"""Device coverage (``device_coverage_frame``, the ``device_coverage`` view, ``sessions coverage``)
against a brute-force merge of the same extents."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipelines.cli import app
from sessions_lib import (
    Client,
    FileRegistration,
    InvalidRequestError,
    NotFoundError,
    RecordedTopic,
    connect,
    device_coverage_frame,
    register_dataset,
    register_device,
    register_files,
)

S = 1_000_000_000
T0 = 1_776_902_400 * S
_devices = itertools.count()

# A file: whether its clock is Unix time, and its topics' spans (seconds after T0).
FileSpans = tuple[bool, list[list[tuple[int, int]]]]


def brute_force(files: list[FileSpans], start: int | None, end: int | None, tolerance: int) -> list[tuple]:
    """Clip every anchored extent to the window, sort, and sweep: a span further than the tolerance
    from the furthest end so far starts a new range."""
    spans = sorted(
        (max(lo, start if start is not None else lo), min(hi, end if end is not None else hi), index)
        for index, (anchored, topics) in enumerate(files)
        if anchored
        for spans in topics
        for lo, hi in ((T0 + a * S, T0 + b * S) for a, b in spans)
        if (start is None or hi >= start) and (end is None or lo <= end)
    )
    ranges: list[list] = []
    for lo, hi, index in spans:
        if ranges and lo - ranges[-1][1] <= tolerance:
            ranges[-1][1] = max(ranges[-1][1], hi)
            ranges[-1][2] += 1
            ranges[-1][3].add(index)
        else:
            ranges.append([lo, hi, 1, {index}])
    return [(lo, hi, count, len(files_of)) for lo, hi, count, files_of in ranges]


def device_with(client: Client, files: list[FileSpans]) -> str:
    """A new device holding these files (one topic per span list)."""
    device = register_device(f"drone-{next(_devices)}", roboto_client=client).device_id
    dataset = register_dataset(f"flights-{device}", roboto_client=client).dataset_id
    register_files(
        [
            FileRegistration(
                dataset,
                f"{index}.mcap",
                [
                    RecordedTopic(f"/t{n}", spans=tuple((T0 + a * S, T0 + b * S) for a, b in spans))
                    for n, spans in enumerate(topics)
                ],
                device_id=device,
                anchored=anchored,
            )
            for index, (anchored, topics) in enumerate(files)
        ],
        roboto_client=client,
    )
    return device


def spans_list() -> st.SearchStrategy[list[tuple[int, int]]]:
    return st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 30)).map(lambda s: (s[0], s[0] + s[1])), max_size=4
    )


files_strategy = st.lists(
    st.tuples(st.sampled_from([True, True, True, False]), st.lists(spans_list(), min_size=1, max_size=3)),
    min_size=1,
    max_size=4,
)
bounds = st.one_of(st.none(), st.integers(-10, 240).map(lambda s: T0 + s * S))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files_strategy, bounds, bounds, st.sampled_from([0, S, 5 * S, 60 * S]))
def test_coverage_equals_a_brute_force_merge_of_the_extents(client: Client, files, start, end, tolerance):
    if start is not None and end is not None and start > end:
        start, end = end, start
    device = device_with(client, files)
    frame = device_coverage_frame(
        device, start_ns=start, end_ns=end, tolerance_ns=tolerance, roboto_client=client
    )
    got = list(frame.select("start_ns", "end_ns", "extent_count", "file_count").iter_rows())
    assert got == brute_force(files, start, end, tolerance)
    assert (frame["device_id"] == device).all()


def test_the_view_is_the_coverage_of_every_device_without_window_or_tolerance(client: Client):
    first = device_with(client, [(True, [[(0, 10), (12, 20)]]), (True, [[(10, 11)]]), (False, [[(0, 500)]])])
    second = device_with(client, [(True, [[(100, 110)]])])
    con = connect(roboto_client=client)
    rows = con.sql("SELECT * FROM device_coverage ORDER BY device_id, start_ns").fetchall()
    con.close()
    expected = sorted(
        (device, *row)
        for device, files in ((first, [(True, [[(0, 10), (12, 20)]]), (True, [[(10, 11)]])]),
                              (second, [(True, [[(100, 110)]])]))
        for row in brute_force(files, None, None, 0)
    )  # fmt: skip
    assert rows == expected
    assert [r[1:3] for r in rows if r[0] == first] == [(T0, T0 + 11 * S), (T0 + 12 * S, T0 + 20 * S)]


def test_bad_coverage_requests_are_refused(client: Client):
    device = device_with(client, [(True, [[(0, 10)]])])
    with pytest.raises(NotFoundError, match="device 'dv_nope' not found"):
        device_coverage_frame("dv_nope", roboto_client=client)
    with pytest.raises(InvalidRequestError, match="tolerance_ns must not be negative"):
        device_coverage_frame(device, tolerance_ns=-1, roboto_client=client)
    with pytest.raises(InvalidRequestError, match="after its end_ns"):
        device_coverage_frame(device, start_ns=T0 + S, end_ns=T0, roboto_client=client)
    with pytest.raises(InvalidRequestError, match="int64"):
        device_coverage_frame(device, tolerance_ns=1.5, roboto_client=client)  # type: ignore[arg-type]


def test_sessions_coverage_prints_the_ranges(tmp_path):
    catalog = tmp_path / "catalog"
    client = Client(catalog, org_ids=["org_local"])
    device = device_with(client, [(True, [[(0, 10), (15, 20), (100, 110)]])])
    client.catalog.close()
    runner = CliRunner()
    result = runner.invoke(app, ["coverage", device, "--tolerance", "5", "--catalog", str(catalog), "--json"])
    assert result.exit_code == 0, result.output
    ranges = json.loads(result.stdout)
    assert [(r["min_timestamp_ns"], r["max_timestamp_ns"]) for r in ranges] == [
        (T0, T0 + 20 * S),
        (T0 + 100 * S, T0 + 110 * S),
    ]
    text = runner.invoke(
        app, ["coverage", device, "--catalog", str(catalog), "--since", "2026-04-23T00:01:00Z"]
    )
    assert text.exit_code == 0, text.output
    assert "2026-04-23T00:01:40.000Z" in text.stdout and "2026-04-23T00:00:15.000Z" not in text.stdout
    unknown = runner.invoke(app, ["coverage", "dv_nope", "--catalog", str(catalog)])
    assert unknown.exit_code == 1 and "device 'dv_nope' not found" in unknown.output
