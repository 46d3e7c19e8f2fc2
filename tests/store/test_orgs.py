"""Callers and orgs: which org a call acts in, and that no org sees or changes another's rows.

"Org A" is ``org_id`` (the org of ``client``) and "org B" is ``other_org_id``: two orgs no other
test uses, on the module's shared catalog."""

from dataclasses import replace

import pytest

from sessions_lib import (
    Client,
    Device,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    Session,
    SessionFile,
    register_dataset,
)
from tests.conftest import Recordings, table_contents

pytestmark = pytest.mark.backends("sqlite", "postgres")


@pytest.fixture
def org_a(org_id: str) -> str:
    return org_id


@pytest.fixture
def org_b(other_org_id: str) -> str:
    return other_org_id


@pytest.fixture
def alice(client: Client, org_a: str) -> Client:
    """A caller in org A only."""
    return client.as_caller(user="alice", org_ids=[org_a])


@pytest.fixture
def bob(client: Client, org_b: str) -> Client:
    """A caller in org B only, on the same catalog."""
    return client.as_caller(user="bob", org_ids=[org_b])


@pytest.fixture
def carol(client: Client, org_a: str, org_b: str) -> Client:
    """A caller in both orgs."""
    return client.as_caller(user="carol", org_ids=[org_a, org_b])


@pytest.fixture
def b_world(bob: Client):
    """Org B's session, file, device and dataset."""
    b = Recordings(bob)
    dataset = b.dataset("b-data")
    file = b.file({"/b_topic": [(0, 10)]}, dataset_id=dataset.dataset_id, file_id="fl_b")
    device = b.device("b-drone", device_id="dv_b")
    session = Session.create(name="b-flight", device_ids=[device], roboto_client=bob).add_file(file)
    return session, file, device, dataset


def test_a_caller_of_several_orgs_must_say_which(carol: Client, org_a: str, org_b: str):
    for call in (
        lambda: Session.create(name="x", roboto_client=carol),
        lambda: Session.from_id("se_x", roboto_client=carol),
        lambda: Session.for_dataset("ds_x", roboto_client=carol),
        lambda: Session.for_org(roboto_client=carol),
        lambda: register_dataset("d", roboto_client=carol),
    ):
        with pytest.raises(InvalidRequestError, match=rf"several orgs .*{org_a}, {org_b}"):
            call()


def test_the_org_argument_names_the_documented_parameter(carol: Client):
    with pytest.raises(InvalidRequestError, match="caller_org_id"):
        Session.create(roboto_client=carol)
    with pytest.raises(InvalidRequestError, match="owner_org_id"):
        Session.from_id("se_x", roboto_client=carol)
    with pytest.raises(InvalidRequestError, match="org_id"):
        Session.for_org(roboto_client=carol)


def test_a_caller_of_several_orgs_acts_in_the_one_it_names(
    carol: Client, alice: Client, bob: Client, org_a: str, org_b: str
):
    in_b = Session.create(name="b", caller_org_id=org_b, roboto_client=carol)
    assert in_b.org_id == org_b
    assert Session.from_id(in_b.session_id, owner_org_id=org_b, roboto_client=carol).name == "b"
    assert [s.name for s in Session.for_org(org_id=org_b, roboto_client=carol)] == ["b"]
    assert list(Session.for_org(org_id=org_a, roboto_client=carol)) == []
    assert [s.name for s in Session.for_org(roboto_client=bob)] == ["b"]
    assert list(Session.for_org(roboto_client=alice)) == []


def test_naming_an_org_the_caller_is_not_in(alice: Client, org_b: str):
    with pytest.raises(PermissionDeniedError, match=f"'alice' is not a member of org '{org_b}'"):
        Session.create(caller_org_id=org_b, roboto_client=alice)
    with pytest.raises(PermissionDeniedError):
        list(Session.for_org(org_id=org_b, roboto_client=alice))


def test_other_orgs_sessions_cannot_be_read(alice: Client, b_world, org_a: str):
    session, _, _, dataset = b_world
    with pytest.raises(NotFoundError, match=f"not found in org '{org_a}'"):
        Session.from_id(session.session_id, roboto_client=alice)
    assert list(Session.for_org(roboto_client=alice)) == []
    with pytest.raises(NotFoundError):
        Session.for_dataset(dataset.dataset_id, roboto_client=alice)


def test_other_orgs_sessions_cannot_be_changed_or_deleted(client: Client, alice: Client, b_world):
    session, _, _, _ = b_world
    # A handle forged from org B's record, used with org A's credentials.
    forged = Session(session.record, alice)
    before = table_contents(client)
    for call in (
        lambda: forged.update(name="hijacked"),
        lambda: forged.add_file("fl_b"),
        lambda: forged.remove_file("fl_b"),
        lambda: forged.attach_to_device("dv_b"),
        lambda: forged.delete(),
        lambda: list(forged.list_files()),
        lambda: list(forged.list_topics()),
        lambda: list(forged.list_devices()),
    ):
        with pytest.raises((PermissionDeniedError, NotFoundError)):
            call()
    assert table_contents(client) == before


def test_sql_is_scoped_even_for_a_handle_claiming_the_callers_org(
    client: Client, alice: Client, b_world, org_a: str
):
    """A handle whose record says org A but whose id is org B's: every query filters by org and
    finds nothing, so nothing of org B is read or written."""
    session = b_world[0]
    forged = Session(replace(session.record, org_id=org_a), alice)
    before = table_contents(client)
    for call in (
        lambda: forged.update(name="hijacked"),
        lambda: forged.add_file("fl_b"),
        lambda: forged.attach_to_device("dv_b"),
        lambda: forged.delete(),
        lambda: list(forged.list_files()),
        lambda: list(forged.list_topics()),
        lambda: list(forged.list_devices()),
    ):
        with pytest.raises(NotFoundError, match=f"not found in org '{org_a}'"):
            call()
    assert table_contents(client) == before


def test_other_orgs_devices_cannot_be_changed_or_deleted(
    client: Client, alice: Client, b_world, org_a: str, org_b: str
):
    before = table_contents(client)
    with pytest.raises(NotFoundError):
        Device.from_id("dv_b", roboto_client=alice)
    forged = Device(
        replace(Device.from_id("dv_b", roboto_client=client.as_caller(org_ids=[org_b])).record, org_id=org_a),
        alice,
    )
    for call in (lambda: forged.update(name="mine"), forged.delete, lambda: forged.create_session("x")):
        with pytest.raises(NotFoundError):
            call()
    assert table_contents(client) == before


def test_other_orgs_files_and_devices_cannot_be_used(client: Client, alice: Client, b_world, org_a: str):
    own = Session.create(name="a", roboto_client=alice)
    before = table_contents(client)
    with pytest.raises(NotFoundError, match=rf"fl_b.*{org_a}"):
        own.add_file("fl_b")
    with pytest.raises(NotFoundError, match="fl_b"):
        own.add_files([SessionFile("fl_b", 0, 1)])
    with pytest.raises(NotFoundError, match=rf"dv_b.*{org_a}"):
        own.attach_to_device("dv_b")
    with pytest.raises(NotFoundError, match="dv_b"):
        Session.create(device_ids=["dv_b"], roboto_client=alice)
    assert table_contents(client) == before


def test_same_ids_in_two_orgs_stay_apart(alice: Client, bob: Client, b_world):
    """Ids are keys within an org: org A may register its own fl_b, and sees only its own."""
    a = Recordings(alice)
    a.file({"/a_topic": [(100, 200)]}, file_id="fl_b")
    own = Session.create(roboto_client=alice).add_file("fl_b")
    assert [t.name for t in own.list_topics()] == ["/a_topic"]
    assert (own.min_timestamp_ns, own.max_timestamp_ns) == (100, 200)
    b_session = b_world[0]
    assert [t.name for t in Session.from_id(b_session.session_id, roboto_client=bob).list_topics()] == [
        "/b_topic"
    ]


def test_topic_identities_are_per_org(alice: Client, bob: Client, b_world, org_a: str, org_b: str):
    a = Recordings(alice)
    a.file({"/b_topic": [(0, 10)]}, file_id="fl_a")
    mine = list(Session.create(roboto_client=alice).add_file("fl_a").list_topics())
    theirs = list(Session.from_id(b_world[0].session_id, roboto_client=bob).list_topics())
    assert [t.name for t in mine] == [t.name for t in theirs] == ["/b_topic"]
    assert mine[0].topic_id != theirs[0].topic_id
    assert (mine[0].org_id, theirs[0].org_id) == (org_a, org_b)
