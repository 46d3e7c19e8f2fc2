"""The SQL views answer exactly as the Session API does, and only about the caller's org."""

import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions_lib import Client, Device, RecordedTopic, Session, SessionFile, register_dataset, register_file
from sessions_lib.surfaces.sql import VIEW_NAMES, connect

spans = st.tuples(st.integers(0, 100), st.integers(0, 30)).map(lambda s: (s[0], s[0] + s[1]))
files_strategy = st.lists(
    st.dictionaries(
        st.sampled_from(["/a", "/b", "/c", "/d"]), st.lists(spans, min_size=1, max_size=2), max_size=3
    ),
    min_size=1,
    max_size=4,
)
ranges = st.none() | st.tuples(st.integers(-10, 140), st.integers(0, 50)).map(lambda r: (r[0], r[0] + r[1]))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Client:
    return Client(tmp_path_factory.mktemp("sql") / "catalog", org_ids=["org_seed"])


def fresh_org(shared: Client) -> Client:
    return shared.as_caller(org_ids=[f"org_{uuid.uuid4().hex[:10]}"])


@pytest.mark.slow  # hypothesis: 15 random catalogs, each written and read back
@settings(max_examples=15, deadline=None)
@given(
    files=files_strategy,
    picks=st.lists(st.lists(st.tuples(st.integers(0, 3), ranges), max_size=3), max_size=3),
)
def test_views_agree_with_the_session_api(shared: Client, files, picks):
    client = fresh_org(shared)
    dataset = register_dataset("d", roboto_client=client).dataset_id
    file_ids = [
        register_file(
            dataset, f"f{i}", [RecordedTopic(n, tuple(s)) for n, s in topics.items()], roboto_client=client
        ).file_id
        for i, topics in enumerate(files)
    ]
    sessions = []
    for chosen in picks:
        contributions = {file_ids[i % len(file_ids)]: rng for i, rng in chosen}
        session = Session.create(roboto_client=client)
        if contributions:
            session.add_files([SessionFile(f, *(r or (None, None))) for f, r in contributions.items()])
        sessions.append(session)
    con = connect(roboto_client=client)
    bounds = {sid: (lo, hi) for sid, lo, hi in con.sql("SELECT * FROM session_bounds").fetchall()}
    for session in sessions:
        stored = Session.from_id(session.session_id, roboto_client=client)
        expected = (stored.min_timestamp_ns, stored.max_timestamp_ns)
        assert bounds.get(session.session_id, (None, None)) == expected
        topics = con.sql(
            "SELECT topic_id, name FROM session_topics WHERE session_id = ? ORDER BY name, topic_id",
            params=[session.session_id],
        ).fetchall()
        assert topics == [(t.topic_id, t.name) for t in stored.list_topics()]
        rows = con.sql(
            "SELECT file_id, range_min_timestamp_ns, range_max_timestamp_ns FROM session_files "
            "WHERE session_id = ? ORDER BY file_id",
            params=[session.session_id],
        ).fetchall()
        assert [SessionFile(*row) for row in rows] == list(stored.list_files())
    con.close()


def test_views_see_only_the_callers_org(shared: Client, tmp_path: Path):
    mine, theirs = fresh_org(shared), fresh_org(shared)
    for client, name in ((mine, "mine"), (theirs, "theirs")):
        dataset = register_dataset("d", roboto_client=client).dataset_id
        device = Device.create(name, roboto_client=client)
        topics = [RecordedTopic("/x", ((0, 1),))]
        file = register_file(dataset, "a", topics, device_id=device.device_id, roboto_client=client)
        device.create_session(name, files=[file])
    con = connect(roboto_client=mine)
    for view in VIEW_NAMES:  # one row of each kind per org, and no activity interval
        expected = 0 if view == "activity_intervals" else 1
        assert con.sql(f"SELECT count(*) FROM {view}").fetchone()[0] == expected, view
    assert con.sql("SELECT device_name, session_name FROM device_sessions").fetchall() == [("mine", "mine")]
    assert con.sql("SELECT start_ns, end_ns FROM device_coverage").fetchall() == [(0, 1)]
    con.close()


def test_an_org_name_cannot_break_out_of_the_view(shared: Client):
    tricky = shared.as_caller(org_ids=["org_x' OR '1'='1"])
    Session.create(name="quoted", roboto_client=tricky)
    con = connect(roboto_client=tricky)
    assert con.sql("SELECT count(*) FROM device_sessions").fetchone()[0] == 0
    con.close()
