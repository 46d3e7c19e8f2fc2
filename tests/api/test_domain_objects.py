"""Devices, datasets and files as objects, and the ``create_session`` shortcuts of the API reference."""

import multiprocessing

import pytest

from sessions_lib import (
    Client,
    ConflictError,
    Dataset,
    Device,
    File,
    FileTopicRecord,
    InvalidRequestError,
    NotFoundError,
    NotSet,
    PermissionDeniedError,
    RecordedTopic,
    Session,
    SessionFile,
)
from tests.conftest import table_contents

S = 1_000_000_000
T0 = 1_776_902_400 * S


def imu(start_s: int, end_s: int, **kwargs) -> RecordedTopic:
    return RecordedTopic("/imu", ((T0 + start_s * S, T0 + end_s * S),), **kwargs)


@pytest.fixture
def fleet(client: Client):
    lead = Device.create("lead", device_type="quadcopter", device_id="dv_lead", roboto_client=client)
    wingman = Device.create("wingman", device_type="quadcopter", device_id="dv_wingman", roboto_client=client)
    dataset = Dataset.create("field-test", root_path="/data/field-test", roboto_client=client)
    return lead, wingman, dataset


# -- the reference's shortcut sentences -----------------------------------------------------


def test_device_create_session_is_the_single_device_shortcut(client: Client, fleet):
    """ "create_session() is a shortcut for the common single-device case.\""""
    lead, _, dataset = fleet
    flight = dataset.register_file("lead/flight.mcap", [imu(0, 600)], device_id=lead.device_id)
    session = lead.create_session("flight-001", files=[flight])
    assert isinstance(session, Session) and session.name == "flight-001"
    assert list(session.list_devices()) == ["dv_lead"]
    assert list(session.list_files()) == [SessionFile(flight.file_id)]
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (T0, T0 + 600 * S)
    assert [s.session_id for s in lead.list_sessions()] == [session.session_id]


def test_dataset_create_session_infers_devices_and_prepopulates_files(client: Client, fleet):
    """ "create_session() creates a Session for an existing Dataset, inferring the devices involved
    and pre-populating files from the Dataset.\""""
    lead, wingman, dataset = fleet
    files = [
        dataset.register_file("lead.mcap", [imu(0, 600)], device_id=lead.device_id),
        dataset.register_file("wingman.mcap", [imu(30, 590)], device_id=wingman.device_id),
        dataset.register_file("ground-station.csv", [imu(-60, 660)]),  # no device
    ]
    session = dataset.create_session("formation-001")
    assert list(session.list_devices()) == ["dv_lead", "dv_wingman"]
    assert sorted(f.file_id for f in session.list_files()) == sorted(f.file_id for f in files)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (T0 - 60 * S, T0 + 660 * S)


def test_dataset_create_session_with_explicit_devices(client: Client, fleet):
    lead, wingman, dataset = fleet
    dataset.register_file("lead.mcap", [imu(0, 1)], device_id=lead.device_id)
    session = dataset.create_session(device_ids=[wingman.device_id])
    assert list(session.list_devices()) == ["dv_wingman"]
    assert session.name is None


# -- File -----------------------------------------------------------------------------------


def test_file_properties_and_topics_in_wall_clock(client: Client, fleet):
    lead, _, dataset = fleet
    registered = dataset.register_file(
        "lead/boot.ulg",
        [
            RecordedTopic(
                "vehicle_status", ((0, 10 * S), (20 * S, 30 * S)), unix_epoch_offset_ns=T0, message_count=9
            ),
            RecordedTopic(
                "battery_status", ((5 * S, 6 * S),), unix_epoch_offset_ns=T0, schema_name="battery"
            ),
        ],
        device_id=lead.device_id,
        uri="file:///data/field-test/lead/boot.ulg",
        size_bytes=2048,
        format="ulog",
        content_hash="sha256:abc",
    )
    file = File.from_id(registered.file_id, roboto_client=client)
    assert file.record == registered.record
    assert (file.dataset_id, file.relative_path, file.uri) == (
        dataset.dataset_id,
        "lead/boot.ulg",
        "file:///data/field-test/lead/boot.ulg",
    )
    assert (file.size_bytes, file.format, file.content_hash, file.device_id) == (
        2048,
        "ulog",
        "sha256:abc",
        "dv_lead",
    )
    assert (file.ingest_status, file.ingest_error) == ("ingested", None)
    topics = list(file.list_topics())
    assert all(isinstance(t, FileTopicRecord) for t in topics)
    assert [(t.name, t.wall_spans) for t in topics] == [
        ("battery_status", ((T0 + 5 * S, T0 + 6 * S),)),
        ("vehicle_status", ((T0, T0 + 10 * S), (T0 + 20 * S, T0 + 30 * S))),
    ]
    assert [t.extents[0].min_timestamp for t in topics] == [5 * S, 0]  # stored clock kept
    assert (topics[0].schema_name, topics[1].message_count) == ("battery", 9)


def test_file_list_topics_paginates(client: Client, fleet):
    _, _, dataset = fleet
    file = dataset.register_file("many.mcap", [RecordedTopic(f"/t{i}", ((i, i + 1),)) for i in range(7)])
    assert [t.name for t in file.list_topics()] == [f"/t{i}" for i in range(7)]


def test_file_from_unknown_id(client: Client):
    with pytest.raises(NotFoundError, match="fl_nope"):
        File.from_id("fl_nope", roboto_client=client)


# -- Device ---------------------------------------------------------------------------------


def test_device_lifecycle(client: Client, fleet):
    lead, _, _ = fleet
    assert [d.device_id for d in Device.for_org(roboto_client=client)] == ["dv_lead", "dv_wingman"]
    loaded = Device.from_id("dv_lead", roboto_client=client)
    assert loaded.record == lead.record and loaded.device_type == "quadcopter"
    lead.update(name="lead-7", metadata={"serial": "X7"})
    assert (lead.name, lead.device_type, lead.metadata) == ("lead-7", "quadcopter", {"serial": "X7"})
    lead.update(device_type=None, name=NotSet)
    reloaded = Device.from_id("dv_lead", roboto_client=client)
    assert (reloaded.name, reloaded.device_type, reloaded.metadata) == ("lead-7", None, {"serial": "X7"})
    assert reloaded.modified > reloaded.created
    with pytest.raises(InvalidRequestError, match="device name"):
        lead.update(name="x" * 121)


@pytest.mark.fresh_catalog  # counts the partitions of dv_lead in every org
def test_deleting_a_device_detaches_it_and_keeps_sessions_and_files(client: Client, fleet):
    lead, _, dataset = fleet
    file = dataset.register_file("lead.mcap", [imu(0, 10)], device_id=lead.device_id)
    session = Session.create(device_ids=["dv_lead", "dv_wingman"], roboto_client=client).add_file(file)
    lead.delete()
    with pytest.raises(NotFoundError):
        Device.from_id("dv_lead", roboto_client=client)
    assert list(session.list_devices()) == ["dv_wingman"]
    assert Session.from_id(session.session_id, roboto_client=client).modified > session.modified
    assert File.from_id(file.file_id, roboto_client=client).device_id is None
    partitions = client.catalog.transaction(
        lambda tx: tx.scalar("SELECT count(*) FROM topic_partitions WHERE device_id = 'dv_lead'")
    )
    assert partitions == 0
    assert [t.name for t in session.list_topics()] == ["/imu"]
    with pytest.raises(NotFoundError):
        lead.delete()


def test_device_create_session_resent_reuses_and_fills_in(client: Client, fleet):
    lead, _, dataset = fleet
    first = dataset.register_file("a.mcap", [imu(0, 10)])
    second = dataset.register_file("b.mcap", [imu(20, 30)])
    session = lead.create_session(
        "run-1", description="first try", files=[SessionFile(first.file_id, T0, T0 + 5 * S)]
    )
    again = lead.create_session(
        "run-1",
        description="ignored: it has one",
        tags=["outdoor"],
        metadata={"wind": 3},
        files=[first, second],
    )
    assert again.session_id == session.session_id
    assert [s.session_id for s in lead.list_sessions()] == [session.session_id]
    assert again.description == "first try"
    assert (again.tags, dict(again.metadata)) == (("outdoor",), {"wind": 3})
    expected = [SessionFile(first.file_id, T0, T0 + 5 * S), SessionFile(second.file_id)]
    # The held file keeps its range; the new one is added.
    assert list(again.list_files()) == sorted(expected, key=lambda f: f.file_id)
    assert (again.min_timestamp_ns, again.max_timestamp_ns) == (T0, T0 + 30 * S)
    before = table_contents(client)
    lead.create_session("run-1", files=[first, second])
    assert table_contents(client) == before  # nothing left to fill in: nothing written


def test_device_create_session_refuses_a_name_two_of_its_sessions_share(client: Client, fleet):
    lead, _, dataset = fleet
    flight = dataset.register_file("a.mcap", [imu(0, 10)])
    # The seed API lets two sessions of one device share a name; the shortcut then cannot tell
    # which one the name means, and picks neither.
    first = Session.create("run-1", device_ids=[lead.device_id], roboto_client=client)
    second = Session.create("run-1", device_ids=[lead.device_id], roboto_client=client)
    before = table_contents(client)
    with pytest.raises(ConflictError, match="more than one session called 'run-1'"):
        lead.create_session("run-1", files=[flight])
    assert table_contents(client) == before
    second.update(name="run-2")
    assert lead.create_session("run-1", files=[flight]).session_id == first.session_id


def concurrent_create_session(catalog: str, file_ids: list[str], names: list[str], start) -> None:
    client = Client(catalog, user="racer", org_ids=["org_a"])
    device = Device.from_id("dv_lead", roboto_client=client)
    for name in names:
        start.wait()  # both processes send the same call at the same moment
        device.create_session(name, files=file_ids)


@pytest.mark.slow  # two spawned processes racing 8 calls
@pytest.mark.backends("sqlite", "postgres")
def test_device_create_session_from_two_processes_makes_one_session(
    client: Client, fleet, catalog_setting: str
):
    lead, _, dataset = fleet
    file_ids = [dataset.register_file(f"f{i}.mcap", [imu(i, i + 1)]).file_id for i in range(3)]
    names = [f"race-{i}" for i in range(8)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        pool.starmap(concurrent_create_session, [(catalog_setting, file_ids, names, start)] * 2)
        pool.close()  # let the workers exit: terminating them needs a SIGTERM a caller may ignore
        pool.join()
    sessions = list(lead.list_sessions())
    assert sorted(s.name for s in sessions) == names
    for session in sessions:
        assert sorted(f.file_id for f in session.list_files()) == sorted(file_ids)
        assert list(session.list_devices()) == ["dv_lead"]
    contributions = client.catalog.transaction(lambda tx: tx.scalar("SELECT count(*) FROM session_files"))
    assert contributions == len(names) * len(file_ids)


# -- Dataset patterns -----------------------------------------------------------------------

PATHS = [
    "README.md",
    "flights/lead/a.mcap",
    "flights/lead/b.mcap",
    "flights/wing/a.mcap",
    "flights/wing/scratch/tmp.mcap",
    "logs/2026-04-23/day.ulg",
]


@pytest.fixture
def folder(client: Client, fleet) -> Dataset:
    _, _, dataset = fleet
    for i, path in enumerate(PATHS):
        dataset.register_file(path, [imu(i, i + 1)])
    return dataset


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (None, None, PATHS),
        (["*.mcap"], None, PATHS[1:5]),
        (["flights/lead/"], None, PATHS[1:3]),
        (["/README.md"], None, PATHS[:1]),
        (["*.mcap", "!flights/wing/scratch/*"], None, PATHS[1:4]),
        (["*.mcap", "!a.mcap"], None, ["flights/lead/b.mcap", "flights/wing/scratch/tmp.mcap"]),
        (None, ["**/scratch/"], [p for p in PATHS if "scratch" not in p]),
        (["flights/**", "logs/"], ["*.mcap", "!flights/lead/a.mcap"], ["flights/lead/a.mcap", PATHS[5]]),
        (["**/*.ulg"], None, PATHS[5:]),
    ],
)
def test_dataset_patterns_select_the_expected_files(
    client: Client, folder: Dataset, include, exclude, expected
):
    assert [f.relative_path for f in folder.list_files(include, exclude)] == expected
    session = folder.create_session("patterned", include_patterns=include, exclude_patterns=exclude)
    held = {f.file_id for f in session.list_files()}
    assert sorted(File.from_id(fid, roboto_client=client).relative_path for fid in held) == sorted(expected)


def test_patterns_matching_nothing_are_refused_with_nothing_written(client: Client, folder: Dataset):
    before = table_contents(client)
    with pytest.raises(
        InvalidRequestError, match=r"no file of dataset .* matches include_patterns=\['\*.bag'\]"
    ):
        folder.create_session("nothing", include_patterns=["*.bag"])
    assert table_contents(client) == before
    assert list(folder.list_files(["*.bag"])) == []


def test_patterns_must_be_a_list(folder: Dataset):
    with pytest.raises(InvalidRequestError, match="list of gitignore-style patterns"):
        list(folder.list_files(include_patterns="*.mcap"))


def test_dataset_lookup_and_listing(client: Client, fleet):
    _, _, dataset = fleet
    other = Dataset.create("second", roboto_client=client)
    assert Dataset.from_id(dataset.dataset_id, roboto_client=client).record == dataset.record
    assert sorted(d.dataset_id for d in Dataset.for_org(roboto_client=client)) == sorted(
        [dataset.dataset_id, other.dataset_id]
    )
    with pytest.raises(NotFoundError, match="ds_nope"):
        Dataset.from_id("ds_nope", roboto_client=client)


# -- session attributes ---------------------------------------------------------------------


def test_description_tags_metadata_follow_the_notset_rule(client: Client):
    session = Session.create(
        name="s",
        description="calm day",
        tags=["outdoor", "gps"],
        metadata={"pilot": "ana"},
        roboto_client=client,
    )
    assert (session.description, session.tags, dict(session.metadata)) == (
        "calm day",
        ("outdoor", "gps"),
        {"pilot": "ana"},
    )
    session.update(tags=["indoor"])
    stored = Session.from_id(session.session_id, roboto_client=client)
    assert (stored.description, stored.tags, dict(stored.metadata)) == (
        "calm day",
        ("indoor",),
        {"pilot": "ana"},
    )
    session.update(description=None, metadata={"pilot": "bo", "wind_mps": 4.5})
    stored = Session.from_id(session.session_id, roboto_client=client)
    assert stored.record == session.record
    assert (stored.description, stored.tags, dict(stored.metadata)) == (
        None,
        ("indoor",),
        {"pilot": "bo", "wind_mps": 4.5},
    )
    session.update(tags=None, metadata=None)
    stored = Session.from_id(session.session_id, roboto_client=client)
    assert (stored.tags, dict(stored.metadata), stored.name) == ((), {}, "s")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tags": "outdoor"}, "tags must be a list"),
        ({"tags": ["ok", ""]}, "non-empty string"),
        ({"metadata": ["not", "a", "map"]}, "must be a JSON object"),
        ({"metadata": {"when": object()}}, "not JSON-serializable"),
        ({"description": 42}, "description must be a string"),
    ],
)
def test_bad_attributes_are_refused(client: Client, kwargs, message):
    session = Session.create(name="s", roboto_client=client)
    before = table_contents(client)
    with pytest.raises(InvalidRequestError, match=message):
        session.update(**kwargs)
    with pytest.raises(InvalidRequestError, match=message):
        Session.create(name="t", roboto_client=client, **kwargs)
    assert table_contents(client) == before


# -- refusals and orgs ----------------------------------------------------------------------


def test_shortcut_refusals_write_nothing(client: Client, fleet, other_org_id: str):
    lead, _, dataset = fleet
    file = dataset.register_file("a.mcap", [imu(0, 1)])
    bob = client.as_caller(user="bob", org_ids=[other_org_id])
    b_dataset = Dataset.create("theirs", roboto_client=bob)
    b_file = b_dataset.register_file("b.mcap", [imu(0, 1)])
    before = table_contents(client)
    with pytest.raises(InvalidRequestError, match="120"):
        lead.create_session("x" * 121, files=[file])
    with pytest.raises(InvalidRequestError, match="name is required"):
        lead.create_session(None)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match=b_file.file_id):
        lead.create_session("with-their-file", files=[file, b_file])
    with pytest.raises(NotFoundError, match="dv_ghost"):
        dataset.create_session("ghost", device_ids=["dv_ghost"])
    with pytest.raises(NotFoundError, match=b_dataset.dataset_id):
        Dataset.from_id(b_dataset.dataset_id, roboto_client=client)
    with pytest.raises(NotFoundError, match="dv_lead"):
        Device.from_id("dv_lead", roboto_client=bob)
    with pytest.raises(NotFoundError, match=file.file_id):
        File.from_id(file.file_id, roboto_client=bob)
    forged = Dataset(b_dataset.record, client)
    with pytest.raises(PermissionDeniedError, match=f"not a member of org '{other_org_id}'"):
        forged.create_session("stolen")
    assert table_contents(client) == before
