"""Bad requests get the library's own error naming the thing and the rule, and write nothing."""

import pytest

from sessions_lib import (
    AlreadyExistsError,
    CatalogBusyError,
    CatalogError,
    Client,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RecordedTopic,
    Session,
    SessionFile,
    SessionsError,
    register_file,
)
from tests.conftest import Recordings, table_contents

pytestmark = pytest.mark.backends("sqlite", "postgres")


@pytest.fixture
def session(client: Client, recordings: Recordings) -> Session:
    file = recordings.file({"/imu": [(0, 100)]}, file_id="fl_held")
    return Session.create(
        name="s", device_ids=[recordings.device(device_id="dv_one")], roboto_client=client
    ).add_file(file, 10, 20)


def refused(client: Client, error: type[SessionsError], match: str, call) -> None:
    before = table_contents(client)
    with pytest.raises(error, match=match):
        call()
    assert table_contents(client) == before


def test_one_sided_ranges(client: Client, session: Session):
    refused(client, InvalidRequestError, "given together", lambda: session.add_file("fl_held", 5, None))
    refused(client, InvalidRequestError, "given together", lambda: session.add_file("fl_held", None, 5))
    refused(
        client,
        InvalidRequestError,
        "given together",
        lambda: session.add_files([SessionFile("fl_held", range_min_timestamp_ns=5)]),
    )


def test_inverted_range(client: Client, session: Session):
    refused(
        client, InvalidRequestError, r"\(30\) is after .* \(20\)", lambda: session.add_file("fl_held", 30, 20)
    )


def test_non_integer_range(client: Client, session: Session):
    refused(client, InvalidRequestError, "int64 nanoseconds", lambda: session.add_file("fl_held", 1.5, 2))


def test_unknown_file_refuses_the_whole_call(
    client: Client, recordings: Recordings, session: Session, org_id: str
):
    good = recordings.file({"/gps": [(0, 1)]})
    refused(
        client,
        NotFoundError,
        rf"\['fl_nope'\] not found in org '{org_id}'",
        lambda: session.add_files([SessionFile(good.file_id), SessionFile("fl_nope")]),
    )
    assert [f.file_id for f in session.list_files()] == ["fl_held"]
    refused(client, NotFoundError, "fl_nope", lambda: session.remove_files(["fl_held", "fl_nope"]))


def test_duplicate_file_ids_in_one_call(client: Client, recordings: Recordings, session: Session):
    other = recordings.file({"/gps": [(0, 1)]})
    refused(
        client,
        InvalidRequestError,
        "more than once",
        lambda: session.add_files([SessionFile(other.file_id), SessionFile(other.file_id, 0, 1)]),
    )
    refused(
        client, InvalidRequestError, "more than once", lambda: session.remove_files(["fl_held", "fl_held"])
    )


def test_unknown_devices(client: Client, session: Session):
    refused(
        client,
        NotFoundError,
        "dv_ghost",
        lambda: Session.create(device_ids=["dv_one", "dv_ghost"], roboto_client=client),
    )
    refused(client, NotFoundError, "dv_ghost", lambda: session.attach_to_device("dv_ghost"))
    refused(client, NotFoundError, "dv_ghost", lambda: session.detach_from_device("dv_ghost"))
    refused(
        client,
        InvalidRequestError,
        "more than once",
        lambda: Session.create(device_ids=["dv_one", "dv_one"], roboto_client=client),
    )


def test_not_a_file(client: Client, session: Session):
    refused(client, InvalidRequestError, "expected a file id or a File", lambda: session.add_file(42))


def test_registration_refusals(client: Client, recordings: Recordings):
    dataset = recordings.dataset()
    refused(
        client,
        NotFoundError,
        "ds_missing",
        lambda: register_file("ds_missing", "a.mcap", roboto_client=client),
    )
    refused(
        client,
        NotFoundError,
        "dv_missing",
        lambda: register_file(dataset.dataset_id, "a.mcap", device_id="dv_missing", roboto_client=client),
    )
    refused(
        client,
        InvalidRequestError,
        "more than once",
        lambda: register_file(
            dataset.dataset_id,
            "a.mcap",
            [RecordedTopic("/imu", ((0, 1),)), RecordedTopic("/imu", ((2, 3),))],
            roboto_client=client,
        ),
    )
    with pytest.raises(InvalidRequestError, match="min after its max"):
        RecordedTopic("/imu", ((5, 1),))
    with pytest.raises(InvalidRequestError, match="timeline_source"):
        RecordedTopic("/imu", ((0, 1),), timeline_source="wall")  # type: ignore[arg-type]


def test_duplicate_ids_on_registration(client: Client, recordings: Recordings):
    recordings.device(device_id="dv_one")
    refused(
        client, AlreadyExistsError, "dv_one.*already exists", lambda: recordings.device(device_id="dv_one")
    )
    dataset = recordings.dataset()
    recordings.file({"/imu": [(0, 1)]}, file_id="fl_one", dataset_id=dataset.dataset_id)
    refused(
        client,
        AlreadyExistsError,
        "fl_one.*already exists",
        lambda: recordings.file({"/imu": [(0, 1)]}, file_id="fl_one", dataset_id=dataset.dataset_id),
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add_file("fl_held", 0, 2**63), "int64"),
        (lambda s: s.add_file(SessionFile("fl_held", 1, 2)), "pass SessionFile entries to add_files"),
        (lambda s: s.add_files(None), "list of SessionFile"),
        (lambda s: s.remove_files("fl_held"), "list of ids"),
        (lambda s: Session.create(device_ids="dv_one", roboto_client=s._client), "list of ids"),
        (lambda s: RecordedTopic("/imu", ((0, "a"),)), "two int64"),
        (lambda s: RecordedTopic("/imu", ((0, 1, 2),)), "two int64"),
        (lambda s: RecordedTopic("/imu", ((0.5, 1),)), "two int64"),
        (lambda s: register_file("ds_x", "a", ["not a topic"], roboto_client=s._client), "RecordedTopic"),
        (lambda s: register_file("ds_x", "a", size_bytes="big", roboto_client=s._client), "size_bytes"),
        (lambda s: register_file("ds_x", "a", ingest_error="", roboto_client=s._client), "ingest_error"),
        (lambda s: Client(s._client.catalog, org_ids=[]), "non-empty list of org ids"),
        (lambda s: Client(s._client.catalog, page_size="3"), "page_size"),
    ],
)
def test_bad_input_raises_the_librarys_own_error(client: Client, session: Session, call, message: str):
    before = table_contents(client)
    with pytest.raises(InvalidRequestError, match=message):
        call(session)
    assert table_contents(client) == before


def test_error_hierarchy():
    for error in (
        NotFoundError,
        InvalidRequestError,
        ConflictError,
        AlreadyExistsError,
        CatalogBusyError,
        PermissionDeniedError,
        CatalogError,
    ):
        assert issubclass(error, SessionsError)
    assert issubclass(AlreadyExistsError, ConflictError) and issubclass(CatalogBusyError, ConflictError)
