"""Every method and property of ``Session``, with the semantics of DESIGN §4."""

from datetime import UTC, datetime

import pytest

from sessions_lib import (
    Client,
    InvalidRequestError,
    NotFoundError,
    NotSet,
    Session,
    SessionFile,
    SessionRecord,
    TopicIdentityRecord,
)
from tests.conftest import Recordings, table_contents

pytestmark = pytest.mark.backends("sqlite", "postgres")


def names(session: Session) -> list[str]:
    return [topic.name for topic in session.list_topics()]


# -- create, properties, from_id -------------------------------------------------------------


def test_create_sets_every_property(client: Client, recordings: Recordings, org_id: str):
    device = recordings.device()
    before = datetime.now(UTC)
    session = Session.create(name="flight-1", device_ids=[device], roboto_client=client)
    assert session.session_id.startswith("se_")
    assert session.name == "flight-1"
    assert session.org_id == org_id
    assert session.created_by == session.modified_by == "tester"
    assert before <= session.created <= datetime.now(UTC)
    assert session.modified == session.created
    assert session.min_timestamp_ns is None and session.max_timestamp_ns is None
    assert isinstance(session.record, SessionRecord)
    assert session.record.origin == "api"
    assert list(session.list_devices()) == [device]


def test_create_without_name_or_devices(client: Client):
    session = Session.create(roboto_client=client)
    assert session.name is None
    assert list(session.list_devices()) == []
    assert list(session.list_files()) == []
    assert list(session.list_topics()) == []


def test_from_id_returns_the_stored_record(client: Client):
    created = Session.create(name="drive", roboto_client=client)
    loaded = Session.from_id(created.session_id, roboto_client=client)
    assert loaded.record == created.record


def test_from_id_unknown_is_not_found(client: Client):
    with pytest.raises(NotFoundError, match="se_missing"):
        Session.from_id("se_missing", roboto_client=client)


def test_records_are_frozen(client: Client, recordings: Recordings):
    session = Session.create(roboto_client=client)
    with pytest.raises(AttributeError):
        session.record.name = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        SessionFile("fl_x").file_id = "fl_y"  # type: ignore[misc]
    topic = TopicIdentityRecord(topic_id="tp_1", org_id="org_a", name="/imu")
    with pytest.raises(AttributeError):
        topic.name = "/gps"  # type: ignore[misc]
    with pytest.raises(TypeError):
        session.record.metadata["k"] = "v"  # type: ignore[index]


# -- contributions and bounds ---------------------------------------------------------------


def test_add_file_whole_file_uses_the_file_window(client: Client, recordings: Recordings):
    file = recordings.file({"/imu": [(10, 20), (40, 50)], "/gps": [(5, 30)]}, offset_ns=1_000)
    session = Session.create(roboto_client=client).add_file(file.file_id)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (1_005, 1_050)
    assert list(session.list_files()) == [SessionFile(file.file_id)]


def test_add_file_accepts_a_file_object(client: Client, recordings: Recordings):
    file = recordings.file({"/imu": [(10, 20)]})
    session = Session.create(roboto_client=client).add_file(file)
    assert [f.file_id for f in session.list_files()] == [file.file_id]
    session.remove_file(file)
    assert list(session.list_files()) == []


def test_add_file_with_range_narrows_the_contribution(client: Client, recordings: Recordings):
    file = recordings.file({"/imu": [(0, 100)]})
    session = Session.create(roboto_client=client)
    returned = session.add_file(file.file_id, range_min_timestamp_ns=30, range_max_timestamp_ns=60)
    assert returned is session
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (30, 60)
    assert list(session.list_files()) == [SessionFile(file.file_id, 30, 60)]


def test_range_may_extend_past_the_file(client: Client, recordings: Recordings):
    """The contribution window is the range as given, even outside the file's data."""
    file = recordings.file({"/imu": [(50, 60)]})
    session = Session.create(roboto_client=client).add_file(file, 0, 100)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (0, 100)


def test_bounds_span_all_contributions(client: Client, recordings: Recordings):
    early = recordings.file({"/imu": [(100, 200)]})
    late = recordings.file({"/imu": [(500, 900)]})
    session = Session.create(roboto_client=client)
    session.add_files([SessionFile(early.file_id), SessionFile(late.file_id, 600, 700)])
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (100, 700)
    stored = Session.from_id(session.session_id, roboto_client=client)
    assert (stored.min_timestamp_ns, stored.max_timestamp_ns) == (100, 700)


def test_re_adding_a_file_updates_its_range(client: Client, recordings: Recordings):
    file = recordings.file({"/imu": [(0, 100)]})
    session = Session.create(roboto_client=client).add_file(file, 10, 20)
    first_added = session.record.modified
    session.add_file(file, 40, 90)
    assert list(session.list_files()) == [SessionFile(file.file_id, 40, 90)]
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (40, 90)
    session.add_file(file)
    assert list(session.list_files()) == [SessionFile(file.file_id)]
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (0, 100)
    assert session.record.modified > first_added


def test_remove_files_recomputes_bounds(client: Client, recordings: Recordings):
    a = recordings.file({"/imu": [(0, 10)]})
    b = recordings.file({"/imu": [(50, 60)]})
    session = Session.create(roboto_client=client).add_files([SessionFile(a.file_id), SessionFile(b.file_id)])
    returned = session.remove_files([b.file_id])
    assert returned is session
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (0, 10)
    session.remove_file(a.file_id)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (None, None)
    stored = Session.from_id(session.session_id, roboto_client=client)
    assert (stored.min_timestamp_ns, stored.max_timestamp_ns) == (None, None)


def test_removing_a_file_not_held_is_harmless(client: Client, recordings: Recordings):
    held = recordings.file({"/imu": [(0, 10)]})
    other = recordings.file({"/imu": [(50, 60)]})
    session = Session.create(roboto_client=client).add_file(held)
    session.remove_file(other)
    assert [f.file_id for f in session.list_files()] == [held.file_id]


def test_a_file_without_extents_contributes_no_window(client: Client, recordings: Recordings):
    empty = recordings.file({})
    session = Session.create(roboto_client=client).add_file(empty)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (None, None)
    data = recordings.file({"/imu": [(5, 7)]})
    session.add_file(data)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (5, 7)


def test_list_files_is_ordered_by_file_id_across_pages(client: Client, recordings: Recordings):
    files = [recordings.file({"/imu": [(i, i + 1)]}) for i in range(7)]  # page size is 3
    session = Session.create(roboto_client=client).add_files([SessionFile(f.file_id) for f in files])
    assert [f.file_id for f in session.list_files()] == sorted(f.file_id for f in files)


# -- topics ---------------------------------------------------------------------------------


def test_list_topics_deduplicates_and_orders(client: Client, recordings: Recordings, org_id: str):
    a = recordings.file({"/imu": [(0, 10), (20, 30)], "/gps": [(0, 30)], "/cam": [(5, 6)]})
    b = recordings.file({"/imu": [(40, 50)], "/zeta": [(40, 41)]})
    session = Session.create(roboto_client=client).add_files([SessionFile(a.file_id), SessionFile(b.file_id)])
    topics = list(session.list_topics())
    assert [t.name for t in topics] == ["/cam", "/gps", "/imu", "/zeta"]
    assert all(isinstance(t, TopicIdentityRecord) and t.org_id == org_id for t in topics)
    assert len({t.topic_id for t in topics}) == 4


def test_one_topic_identity_across_files(client: Client, recordings: Recordings):
    a = recordings.file({"/imu": [(0, 10)]})
    b = recordings.file({"/imu": [(20, 30)]})
    first = Session.create(roboto_client=client).add_file(a)
    second = Session.create(roboto_client=client).add_file(b)
    assert list(first.list_topics()) == list(second.list_topics())


def test_list_topics_uses_each_files_own_window_not_the_aggregate(client: Client, recordings: Recordings):
    """/late lies inside the session's aggregate window [0, 45] but outside its own file's
    contribution [0, 10]: per-contribution overlap excludes it."""
    narrowed = recordings.file({"/early": [(0, 10)], "/late": [(20, 30)]})
    whole = recordings.file({"/other": [(40, 45)]})
    session = Session.create(roboto_client=client)
    session.add_files([SessionFile(narrowed.file_id, 0, 10), SessionFile(whole.file_id)])
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (0, 45)
    assert names(session) == ["/early", "/other"]


def test_list_topics_overlap_is_closed_at_both_ends(client: Client, recordings: Recordings):
    file = recordings.file({"/ends_at_10": [(0, 10)], "/starts_at_20": [(20, 30)], "/inside": [(12, 13)]})
    session = Session.create(roboto_client=client).add_file(file, 10, 20)
    assert names(session) == ["/ends_at_10", "/inside", "/starts_at_20"]
    session.add_file(file, 11, 19)
    assert names(session) == ["/inside"]


def test_list_topics_gaps_inside_a_topic_do_not_count(client: Client, recordings: Recordings):
    file = recordings.file({"/sparse": [(0, 10), (90, 100)], "/dense": [(0, 100)]})
    session = Session.create(roboto_client=client).add_file(file, 20, 80)
    assert names(session) == ["/dense"]


def test_list_topics_compares_in_wall_clock(client: Client, recordings: Recordings):
    boot_relative = recordings.file({"/imu": [(0, 10)]}, offset_ns=1_000_000)
    session = Session.create(roboto_client=client).add_file(boot_relative, 1_000_005, 1_000_006)
    assert names(session) == ["/imu"]
    session.add_file(boot_relative, 0, 10)
    assert names(session) == []


def test_list_topics_paginates_past_the_page_size(client: Client, recordings: Recordings):
    file = recordings.file({f"/t{i:02d}": [(i, i + 1)] for i in range(10)})
    session = Session.create(roboto_client=client).add_file(file)
    assert names(session) == [f"/t{i:02d}" for i in range(10)]


# -- devices --------------------------------------------------------------------------------


def test_attach_and_detach_devices(client: Client, recordings: Recordings):
    lead, wingman = recordings.device("lead", "dv_lead"), recordings.device("wingman", "dv_wingman")
    session = Session.create(device_ids=[lead], roboto_client=client)
    assert session.attach_to_device(wingman) is None
    session.attach_to_device(wingman)  # attaching twice keeps one attachment
    assert list(session.list_devices()) == ["dv_lead", "dv_wingman"]
    assert session.detach_from_device(lead) is None
    assert list(Session.from_id(session.session_id, roboto_client=client).list_devices()) == ["dv_wingman"]
    session.detach_from_device(lead)  # not attached: nothing to do
    assert list(session.list_devices()) == ["dv_wingman"]


def test_list_devices_paginates(client: Client, recordings: Recordings):
    devices = [recordings.device(f"d{i}") for i in range(8)]
    session = Session.create(device_ids=devices, roboto_client=client)
    assert list(session.list_devices()) == sorted(devices)


# -- update and delete ----------------------------------------------------------------------


def test_update_name_notset_none_and_value(client: Client):
    session = Session.create(name="before", roboto_client=client)
    created_modified = session.modified
    assert session.update() is session
    assert session.name == "before" and session.modified == created_modified
    session.update(name=NotSet)
    assert session.name == "before"
    session.update(name="after")
    assert session.name == "after" and session.modified > created_modified
    assert Session.from_id(session.session_id, roboto_client=client).name == "after"
    session.update(name=None)
    assert session.name is None
    assert Session.from_id(session.session_id, roboto_client=client).name is None


def test_update_refreshes_from_the_catalog(client: Client):
    session = Session.create(name="one", roboto_client=client)
    other_handle = Session.from_id(session.session_id, roboto_client=client)
    other_handle.update(name="two")
    assert session.update().name == "two"


def test_modified_by_follows_the_caller(client: Client):
    session = Session.create(name="x", roboto_client=client)
    colleague = client.as_caller(user="colleague")
    Session.from_id(session.session_id, roboto_client=colleague).update(name="y")
    reloaded = Session.from_id(session.session_id, roboto_client=client)
    assert reloaded.created_by == "tester" and reloaded.modified_by == "colleague"


def test_delete_removes_contributions_and_attachments(client: Client, recordings: Recordings):
    device = recordings.device()
    file = recordings.file({"/imu": [(0, 1)]})
    session = Session.create(device_ids=[device], roboto_client=client).add_file(file)
    keep = Session.create(device_ids=[device], roboto_client=client).add_file(file)
    assert session.delete() is None
    with pytest.raises(NotFoundError):
        Session.from_id(session.session_id, roboto_client=client)
    counts = client.catalog.transaction(
        lambda tx: tx.rows(
            "SELECT (SELECT count(*) FROM session_files WHERE session_id = $s), "
            "(SELECT count(*) FROM session_devices WHERE session_id = $s)",
            s=session.session_id,
        )
    )
    assert counts == [(0, 0)]
    assert [f.file_id for f in keep.list_files()] == [file.file_id]
    assert list(keep.list_devices()) == [device]


def test_a_deleted_session_refuses_further_calls(client: Client, recordings: Recordings):
    file = recordings.file({"/imu": [(0, 1)]})
    session = Session.create(roboto_client=client)
    Session.from_id(session.session_id, roboto_client=client).delete()
    for call in (
        lambda: session.add_file(file),
        lambda: session.remove_file(file),
        lambda: session.update(name="x"),
        lambda: list(session.list_topics()),
        lambda: list(session.list_files()),
        lambda: list(session.list_devices()),
        session.delete,
    ):
        with pytest.raises(NotFoundError, match=session.session_id):
            call()


# -- for_org and for_dataset ----------------------------------------------------------------


def test_for_org_yields_every_session_oldest_first(client: Client):
    created = [Session.create(name=f"s{i}", roboto_client=client) for i in range(7)]
    listed = list(Session.for_org(roboto_client=client))
    assert [s.session_id for s in listed] == [s.session_id for s in created]
    assert all(isinstance(s, Session) for s in listed)


def test_for_org_is_lazy(client: Client):
    for i in range(4):
        Session.create(name=f"s{i}", roboto_client=client)
    sessions = Session.for_org(roboto_client=client)
    first_page = [next(sessions) for _ in range(3)]  # one page of 3
    Session.create(name="added-after-first-page", roboto_client=client)
    rest = list(sessions)
    assert [s.name for s in first_page + rest] == ["s0", "s1", "s2", "s3", "added-after-first-page"]


def test_for_dataset_yields_sessions_holding_any_of_its_files(client: Client, recordings: Recordings):
    dataset = recordings.dataset("field-test")
    other = recordings.dataset("elsewhere")
    in_a = recordings.file({"/imu": [(0, 1)]}, dataset_id=dataset.dataset_id)
    in_b = recordings.file({"/imu": [(2, 3)]}, dataset_id=dataset.dataset_id)
    outside = recordings.file({"/imu": [(0, 1)]}, dataset_id=other.dataset_id)
    both = Session.create(name="both", roboto_client=client).add_files(
        [SessionFile(in_a.file_id), SessionFile(in_b.file_id)]
    )
    one = Session.create(name="one", roboto_client=client).add_file(in_b)
    Session.create(name="outside", roboto_client=client).add_file(outside)
    Session.create(name="empty", roboto_client=client)
    found = [s.session_id for s in Session.for_dataset(dataset.dataset_id, roboto_client=client)]
    assert found == [both.session_id, one.session_id]


def test_for_dataset_unknown_dataset_is_not_found(client: Client):
    with pytest.raises(NotFoundError, match="ds_missing"):
        Session.for_dataset("ds_missing", roboto_client=client)


# -- refusals: nothing written --------------------------------------------------------------


@pytest.mark.parametrize("name", ["x" * 121, "", "   "])
def test_bad_names_are_refused(client: Client, name: str):
    session = Session.create(name="ok", roboto_client=client)
    before = table_contents(client)
    with pytest.raises(InvalidRequestError, match="name"):
        Session.create(name=name, roboto_client=client)
    with pytest.raises(InvalidRequestError, match="name"):
        session.update(name=name)
    assert table_contents(client) == before


def test_name_of_exactly_120_characters_is_accepted(client: Client):
    assert Session.create(name="x" * 120, roboto_client=client).name == "x" * 120
