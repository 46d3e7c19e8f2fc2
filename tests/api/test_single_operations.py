"""Single operations done in few statements keep every guarantee: after each call the instance holds
the record as stored; a refused call writes nothing, even where its first statement already wrote;
a call that changes nothing writes nothing; and each runs the statements the README counts."""

from collections.abc import Callable

import numpy as np
import pytest

from sessions_lib import Client, Dataset, Device, NotFoundError, Session, SessionFile, SessionRecord
from tests.conftest import Recordings, table_contents
from tests.helpers import statements_of

pytestmark = pytest.mark.backends("sqlite", "postgres")


def stored(client: Client, session: Session) -> SessionRecord:
    return Session.from_id(session.session_id, roboto_client=client).record


def snapshots(client: Client) -> int:
    """How many snapshots the catalog has: every committed write adds one."""
    return client.catalog.read(lambda tx: tx.scalar("SELECT count(*) FROM ducklake_snapshots('lake')"))


def test_after_every_call_the_instance_holds_the_stored_record(client: Client, recordings: Recordings):
    device = recordings.device()
    file = recordings.file({"/imu": [(0, 100)]})
    other = recordings.file({"/gps": [(50, 150)]})
    session = Session.create(name="s", device_ids=[device], roboto_client=client)
    assert session.record == stored(client, session)
    calls: list[Callable[[], object]] = [
        lambda: session.add_file(file),
        lambda: session.add_file(file, 5, 6),  # held: a new range
        lambda: session.add_file(file, 5, 6),  # held as it is: nothing changes
        lambda: session.add_files([SessionFile(other.file_id), SessionFile(file.file_id)]),
        lambda: session.remove_file(other),
        lambda: session.remove_file(other),  # not held: nothing changes
        lambda: session.update(name="t", description="d", tags=["x"], metadata={"k": 1}),
        lambda: session.update(),
        lambda: session.detach_from_device(device),
        lambda: session.detach_from_device(device),  # not attached: nothing changes
        lambda: session.attach_to_device(device),
        lambda: session.attach_to_device(device),  # attached already: nothing changes
    ]
    for call in calls:
        call()
        assert session.record == stored(client, session)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (0, 100)


def test_the_shortcuts_return_the_stored_record(client: Client, recordings: Recordings):
    lead = Device.from_id(recordings.device("lead"), roboto_client=client)
    dataset = Dataset.create("d", roboto_client=client)
    first = dataset.register_file("a.mcap", [])
    second = dataset.register_file("b.mcap", [])
    made = lead.create_session("run", files=[first], tags=["t"], metadata={"k": 1})
    assert made.record == stored(client, made)
    resent = lead.create_session("run", description="added", files=[first, second])
    assert resent.session_id == made.session_id and resent.record == stored(client, resent)
    unchanged = lead.create_session("run", files=[second])
    assert unchanged.record == resent.record == stored(client, unchanged)
    everything = dataset.create_session("all")
    assert everything.record == stored(client, everything)


def test_refused_calls_leave_the_session_exactly_as_it_was(
    client: Client, recordings: Recordings, other_org_id: str
):
    """Each call below writes before it can tell the call is refused (a new file inserted, a held
    file's range changed, a held file removed): the refusal undoes it all."""
    held = recordings.file({"/imu": [(0, 100)]})
    new = recordings.file({"/imu": [(200, 300)]})
    device = recordings.device()
    bob = Recordings(client.as_caller(user="bob", org_ids=[other_org_id]))
    their_file, their_device = bob.file({"/imu": [(0, 1)]}).file_id, bob.device()
    session = Session.create(name="s", device_ids=[device], roboto_client=client).add_file(held, 10, 20)
    record, before, written = session.record, table_contents(client), snapshots(client)
    refusals: list[tuple[Callable[[], object], str]] = [
        (lambda: session.add_files([SessionFile(new.file_id), SessionFile("fl_nope")]), "fl_nope"),
        (lambda: session.add_files([SessionFile(held.file_id, 30, 40), SessionFile("fl_nope")]), "fl_nope"),
        (lambda: session.add_file(their_file), their_file),
        (lambda: session.remove_files([held.file_id, "fl_nope"]), "fl_nope"),
        (lambda: session.remove_file(their_file), their_file),
        (lambda: session.attach_to_device(their_device), their_device),
        (lambda: session.detach_from_device(their_device), their_device),
    ]
    for call, missing in refusals:
        with pytest.raises(NotFoundError, match=missing):
            call()
        assert table_contents(client) == before
        assert session.record == record == stored(client, session)
    assert snapshots(client) == written
    assert list(session.list_files()) == [SessionFile(held.file_id, 10, 20)]


def test_a_deleted_session_refuses_changes_with_nothing_written(client: Client, recordings: Recordings):
    file, device = recordings.file({"/imu": [(0, 1)]}), recordings.device()
    session = Session.create(roboto_client=client)
    Session.from_id(session.session_id, roboto_client=client).delete()
    before = table_contents(client)
    for call in (
        lambda: session.add_file(file),  # the contribution is inserted before the session is missed
        lambda: session.add_files([SessionFile(file.file_id), SessionFile("fl_nope")]),
        lambda: session.remove_file(file),
        lambda: session.attach_to_device(device),
        lambda: session.detach_from_device(device),
        lambda: session.update(name="x"),
    ):
        with pytest.raises(NotFoundError, match=session.session_id):
            call()
        assert table_contents(client) == before


def test_re_adding_a_held_file_keeps_when_and_by_whom_it_was_added(client: Client, recordings: Recordings):
    file = recordings.file({"/imu": [(0, 100)]})
    session = Session.create(roboto_client=client).add_file(file)

    def added() -> list[tuple]:
        sql = "SELECT created, created_by FROM session_files WHERE session_id = $s"
        return client.catalog.read(lambda tx: tx.rows(sql, s=session.session_id))

    first = added()
    colleague = Session.from_id(session.session_id, roboto_client=client.as_caller(user="colleague"))
    colleague.add_files([SessionFile(file.file_id, 30, 40)])
    assert added() == first
    assert list(colleague.list_files()) == [SessionFile(file.file_id, 30, 40)]
    assert colleague.record.modified_by == "colleague" and colleague.record.modified > session.modified


def test_ranges_may_be_numpy_integers(client: Client, recordings: Recordings):
    file, other = recordings.file({"/imu": [(0, 100)]}), recordings.file({"/gps": [(50, 60)]})
    session = Session.create(roboto_client=client)
    session.add_files([SessionFile(file.file_id, np.int64(5), np.int64(2**62)), SessionFile(other.file_id)])
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (5, 2**62)
    session.add_file(file, np.int64(7), np.int64(9))
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (7, 60)


def test_a_call_that_changes_nothing_writes_nothing(client: Client, recordings: Recordings):
    attached, detached = recordings.device("attached"), recordings.device("detached")
    file, other = recordings.file({"/imu": [(0, 100)]}), recordings.file({"/gps": [(0, 1)]})
    session = Session.create(device_ids=[attached], roboto_client=client).add_file(file, 1, 2)
    before, written = table_contents(client), snapshots(client)
    session.add_file(file, 1, 2)
    session.add_files([])
    session.remove_file(other)
    session.remove_files([])
    session.attach_to_device(attached)
    session.detach_from_device(detached)
    session.update()
    assert table_contents(client) == before
    assert snapshots(client) == written


def test_single_operations_run_few_statements(client: Client, recordings: Recordings):
    """The statements each operation runs on the lake (README, "What one write costs")."""
    device = Device.from_id(recordings.device(), roboto_client=client)
    device_ids = [device.device_id]
    file, other = recordings.file({"/imu": [(0, 100)]}), recordings.file({"/gps": [(0, 1)]})
    ten = [SessionFile(recordings.file({"/imu": [(i, i + 1)]}).file_id) for i in range(10)]
    made: list[Session] = []
    expected: list[tuple[str, Callable[[], object], int]] = [
        ("create", lambda: made.append(Session.create(roboto_client=client)), 1),
        ("create with a device", lambda: Session.create(device_ids=device_ids, roboto_client=client), 2),
        ("add_file", lambda: made[0].add_file(file), 3),
        ("add_file, held, new range", lambda: made[0].add_file(file, 1, 2), 4),
        ("add_file, held as it is", lambda: made[0].add_file(file, 1, 2), 3),
        ("add_files of 10", lambda: made[0].add_files(ten), 3),
        ("remove_file", lambda: made[0].remove_file(file), 3),
        ("remove_file, not held", lambda: made[0].remove_file(other), 2),
        ("update", lambda: made[0].update(name="n"), 2),
        ("update, nothing", lambda: made[0].update(), 1),
        ("attach_to_device", lambda: made[0].attach_to_device(device.device_id), 3),
        ("attach_to_device, attached", lambda: made[0].attach_to_device(device.device_id), 2),
        ("detach_from_device", lambda: made[0].detach_from_device(device.device_id), 3),
        ("Device.create_session", lambda: device.create_session("run", files=[file]), 5),
        ("Device.create_session, resent", lambda: device.create_session("run", files=[file]), 1),
        ("Device.create_session, a new file", lambda: device.create_session("run", files=[other]), 4),
    ]
    counted = {name: statements_of(client, call).lake for name, call, _ in expected}
    assert counted == {name: statements for name, _, statements in expected}
