"""Property-based: every public entry point, called with one argument replaced by a bad value,
raises the library's own error (a ``SessionsError``) and leaves the catalog exactly as it was.

For each entry point and each of its arguments, hypothesis draws a value its rule refuses (a wrong
type, NaN or infinity, a NUL character or a lone surrogate, an integer outside int64, a negative
count, a lone string where a list goes, JSON that is not JSON, an unknown id, ...) and puts it in
place of one valid argument. The oracle is the catalog itself: every row of every table, read
before and after (``table_contents``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import GeneratorType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from sessions_lib import (
    Client,
    Dataset,
    Device,
    File,
    FileRegistration,
    RecordedTopic,
    Session,
    SessionFile,
    SessionsError,
    register_dataset,
    register_device,
    register_file,
    register_files,
)
from sessions_lib.model.records import ACTIVITY_KINDS, READ_METHODS, TIMELINE_SOURCES, ActivityInterval
from tests.conftest import table_contents

S = 1_000_000_000
T0 = 1_776_902_400 * S

# -- bad values, by the rule they break ---------------------------------------------------------

_not_text = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.binary(max_size=4),
    st.lists(st.text(max_size=3), max_size=2),
    st.builds(object),
)
# Strings the catalog cannot store: a NUL character anywhere, or a lone surrogate (not UTF-8).
_unstorable = st.tuples(
    st.text(max_size=6), st.text(max_size=6), st.sampled_from(["\x00", "\ud800", "\udfff"])
).map(lambda parts: parts[0] + parts[2] + parts[1])
bad_text = _not_text | _unstorable  # where a string (or None) goes
bad_required_text = bad_text | st.just(None)
bad_name = bad_required_text | st.just("") | st.just("  ") | st.text(min_size=121, max_size=130)
unknown_id = st.text("0123456789abcdef", min_size=8, max_size=8).map(lambda h: f"xx_{h}")
bad_id = bad_required_text | st.just("") | unknown_id  # unknown ids are not found
bad_optional_id = bad_text | st.just("")  # where None means "new" or "none"

_big = st.one_of(
    st.integers(min_value=2**63, max_value=2**80), st.integers(min_value=-(2**80), max_value=-(2**63) - 1)
)
bad_int64 = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    _big,
    st.booleans(),
    st.text(max_size=3),
    st.just(np.uint64(2**64 - 1)),
    st.just(np.float64("nan")),
)
bad_required_int64 = bad_int64 | st.just(None)
bad_count = bad_int64 | st.integers(max_value=-1)
bad_pair = st.one_of(
    st.tuples(st.integers(0, 10), st.integers(1, 10)).map(lambda p: (p[0] + p[1], p[0])),  # min > max
    st.tuples(bad_required_int64, st.integers(0, 10)),
    st.tuples(st.integers(0, 10), _big),
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
    st.text(max_size=3),
    st.integers(),
)
bad_row_range = bad_pair | st.tuples(st.integers(max_value=-1), st.integers(0, 5))


def bad_choice(allowed: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return (st.text(max_size=8) | _not_text).filter(lambda v: v not in allowed)


def bad_list_of(bad_item: st.SearchStrategy[Any], good_item: Any | None = None) -> st.SearchStrategy[Any]:
    """A lone string (never split into characters), a mapping, a non-list, or a list with a bad item."""
    good = [] if good_item is None else [good_item]
    return st.one_of(
        st.text(max_size=6),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), min_size=1, max_size=2),
        st.integers(),
        st.builds(object),
        st.lists(bad_item, min_size=1, max_size=2).map(lambda items: [*good, *items]),
    )


bad_texts = bad_list_of(bad_text | st.just(""))  # tags, notes

_bad_json_leaf = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf]),
    _unstorable,
    st.builds(object),
    st.frozensets(st.integers(), max_size=2),
    st.binary(max_size=3),
    st.just(np.int64(3)),
)
_bad_key = st.one_of(st.integers(), st.booleans(), st.none(), st.floats(), _unstorable)


@st.composite
def bad_json(draw: st.DrawFn) -> Any:
    """A JSON object with one bad value or key somewhere inside it, or not an object at all."""
    if draw(st.booleans()):
        return draw(st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=4), st.integers()))
    if draw(st.booleans()):
        inner: Any = {draw(_bad_key): 1}
    else:
        inner = draw(_bad_json_leaf)
    for wrapper in draw(st.lists(st.sampled_from(["list", "object"]), max_size=3)):
        inner = [1, inner] if wrapper == "list" else {"ok": True, draw(st.text(max_size=3)): inner}
    return {"pilot": "ana", "inner": inner}


bad_bool = st.one_of(st.integers(), st.text(max_size=4), st.floats())


# -- the catalog every example runs against, and the entry points -------------------------------


@dataclass
class World:
    """One org's device, dataset, file and session: what the entry points act on."""

    client: Client
    device: Device
    dataset: Dataset
    file: File
    session: Session
    paths: Iterator[int] = field(default_factory=lambda: iter(range(10**9)))

    def new_path(self) -> str:
        return f"new-{next(self.paths)}.mcap"


def good_topic() -> RecordedTopic:
    return RecordedTopic("/imu", ((T0, T0 + S),), message_count=10)


@dataclass(frozen=True)
class EntryPoint:
    """A public call: how to make it, valid arguments for it, and bad values for each argument."""

    name: str
    call: Callable[..., Any]  # (world, **arguments)
    good: Callable[[World], dict[str, Any]]
    bad: dict[str, st.SearchStrategy[Any]]


def _registration_fields(world: World) -> dict[str, Any]:
    return dict(
        relative_path=world.new_path(),
        topics=[good_topic()],
        device_id=world.device.device_id,
        uri="file:///x",
        size_bytes=10,
        format="mcap",
        content_hash="abc",
        read_method="summary",
        anchored=True,
        notes=["read"],
        identifiers={"ros.namespace": "/a"},
        activity=[ActivityInterval("armed", T0, T0 + S)],
        file_id=None,
    )


_REGISTRATION_BAD: dict[str, st.SearchStrategy[Any]] = dict(
    relative_path=bad_required_text | st.just(""),
    topics=bad_list_of(st.one_of(_not_text, st.just(good_topic())), good_topic()),
    device_id=bad_optional_id,
    uri=bad_text,
    size_bytes=bad_count,
    format=bad_text,
    content_hash=bad_text,
    ingest_error=bad_text | st.just(""),
    read_method=bad_choice(READ_METHODS),
    anchored=bad_bool,
    notes=bad_texts,
    identifiers=st.one_of(
        st.text(max_size=4),
        st.lists(st.text(max_size=2), max_size=2),
        st.dictionaries(_bad_key, st.text(max_size=2), min_size=1, max_size=1),
        st.dictionaries(st.just("k"), bad_text, min_size=1, max_size=1),
    ),
    activity=bad_list_of(_not_text),
    file_id=bad_optional_id,
)

_SESSION_ATTRIBUTES_BAD: dict[str, st.SearchStrategy[Any]] = dict(
    description=bad_text, tags=bad_texts, metadata=bad_json()
)
_SESSION_ATTRIBUTES = dict(description="d", tags=["t"], metadata={"k": [1, 2.5, None, "x"]})
_FILES_BAD = bad_list_of(st.one_of(bad_id, st.builds(SessionFile, unknown_id)))

ENTRY_POINTS = [
    EntryPoint(
        "Session.create",
        lambda w, **a: Session.create(roboto_client=w.client, **a),
        lambda w: dict(
            name="s",
            device_ids=[w.device.device_id],
            caller_org_id=w.client.org_ids[0],
            **_SESSION_ATTRIBUTES,
        ),
        dict(
            name=bad_name.filter(lambda v: v is not None),
            device_ids=bad_list_of(bad_id),
            caller_org_id=bad_text | unknown_id,
            **_SESSION_ATTRIBUTES_BAD,
        ),
    ),
    EntryPoint(
        "Session.update",
        lambda w, **a: w.session.update(**a),
        lambda w: dict(name="renamed", **_SESSION_ATTRIBUTES),
        dict(name=bad_name.filter(lambda v: v is not None), **_SESSION_ATTRIBUTES_BAD),
    ),
    EntryPoint(
        "Session.add_file",
        lambda w, **a: w.session.add_file(**a),
        lambda w: dict(file=w.file.file_id, range_min_timestamp_ns=T0, range_max_timestamp_ns=T0 + S // 2),
        dict(
            file=bad_id.filter(lambda v: v is not None) | st.builds(SessionFile, st.just("fl_x")),
            range_min_timestamp_ns=bad_int64 | st.just(T0 + S),
            range_max_timestamp_ns=bad_int64 | st.just(T0 - 1),
        ),
    ),
    EntryPoint(
        "Session.add_files",
        lambda w, **a: w.session.add_files(**a),
        lambda w: dict(files=[SessionFile(w.file.file_id, T0, T0 + 1)]),
        dict(files=_FILES_BAD),
    ),
    EntryPoint(
        "Session.remove_file",
        lambda w, **a: w.session.remove_file(**a),
        lambda w: dict(file=w.file.file_id),
        dict(file=bad_id.filter(lambda v: v is not None)),
    ),
    EntryPoint(
        "Session.remove_files",
        lambda w, **a: w.session.remove_files(**a),
        lambda w: dict(file_ids=[w.file.file_id]),
        dict(file_ids=bad_list_of(bad_id)),
    ),
    EntryPoint(
        "Session.attach_to_device",
        lambda w, **a: w.session.attach_to_device(**a),
        lambda w: dict(device_id=w.device.device_id),
        dict(device_id=bad_id),
    ),
    EntryPoint(
        "Session.detach_from_device",
        lambda w, **a: w.session.detach_from_device(**a),
        lambda w: dict(device_id=w.device.device_id),
        dict(device_id=bad_id),
    ),
    EntryPoint(
        "Session.from_id",
        lambda w, **a: Session.from_id(roboto_client=w.client, **a),
        lambda w: dict(session_id=w.session.session_id, owner_org_id=None),
        dict(session_id=bad_id, owner_org_id=bad_text | unknown_id),
    ),
    EntryPoint(
        "Session.for_dataset",
        lambda w, **a: Session.for_dataset(roboto_client=w.client, **a),
        lambda w: dict(dataset_id=w.dataset.dataset_id),
        dict(dataset_id=bad_id),
    ),
    EntryPoint(
        "Device.create",
        lambda w, **a: Device.create(roboto_client=w.client, **a),
        lambda w: dict(name="d", device_type="quadcopter", metadata={"serial": "Q-1"}, device_id=None),
        dict(
            name=bad_name,
            device_type=bad_text,
            metadata=bad_json(),
            device_id=bad_optional_id | st.just("dv_taken"),  # an id the org has: AlreadyExists
            caller_org_id=bad_text | unknown_id,
        ),
    ),
    EntryPoint(
        "Device.update",
        lambda w, **a: w.device.update(**a),
        lambda w: dict(name="renamed", device_type="rover", metadata={"k": 1}),
        dict(name=bad_name, device_type=bad_text, metadata=bad_json()),
    ),
    EntryPoint(
        "Device.create_session",
        lambda w, **a: w.device.create_session(**a),
        lambda w: dict(name="n", files=[w.file.file_id], **_SESSION_ATTRIBUTES),
        dict(name=bad_name, files=_FILES_BAD, **_SESSION_ATTRIBUTES_BAD),
    ),
    EntryPoint(
        "Device.from_id",
        lambda w, **a: Device.from_id(roboto_client=w.client, **a),
        lambda w: dict(device_id=w.device.device_id),
        dict(device_id=bad_id),
    ),
    EntryPoint(
        "Dataset.create",
        lambda w, **a: Dataset.create(roboto_client=w.client, **a),
        lambda w: dict(name="ds", root_path="/data", dataset_id=None),
        dict(
            name=bad_name, root_path=bad_text, dataset_id=bad_optional_id, caller_org_id=bad_text | unknown_id
        ),
    ),
    EntryPoint(
        "Dataset.register_file",
        lambda w, **a: w.dataset.register_file(**a),
        _registration_fields,
        {**_REGISTRATION_BAD, "device_id": bad_optional_id | unknown_id},
    ),
    EntryPoint(
        "Dataset.create_session",
        lambda w, **a: w.dataset.create_session(**a),
        lambda w: dict(
            name="all", device_ids=[w.device.device_id], include_patterns=["*.mcap"], **_SESSION_ATTRIBUTES
        ),
        dict(
            name=bad_name.filter(lambda v: v is not None),
            device_ids=bad_list_of(bad_id),
            include_patterns=bad_list_of(_not_text) | st.just(["nothing-matches-this"]),
            exclude_patterns=bad_list_of(_not_text) | st.just(["*"]),
            **_SESSION_ATTRIBUTES_BAD,
        ),
    ),
    EntryPoint(
        "Dataset.list_files",
        lambda w, **a: w.dataset.list_files(**a),
        lambda w: dict(include_patterns=["*.mcap"], exclude_patterns=None),
        dict(include_patterns=bad_list_of(_not_text), exclude_patterns=bad_list_of(_not_text)),
    ),
    EntryPoint(
        "Dataset.from_id",
        lambda w, **a: Dataset.from_id(roboto_client=w.client, **a),
        lambda w: dict(dataset_id=w.dataset.dataset_id),
        dict(dataset_id=bad_id),
    ),
    EntryPoint(
        "register_device",
        lambda w, **a: register_device(roboto_client=w.client, **a),
        lambda w: dict(name="d", device_type=None, metadata=None, device_id=None, org_id=None),
        dict(
            name=bad_name,
            device_type=bad_text,
            metadata=bad_json(),
            device_id=bad_optional_id,
            org_id=bad_text | unknown_id,
        ),
    ),
    EntryPoint(
        "register_dataset",
        lambda w, **a: register_dataset(roboto_client=w.client, **a),
        lambda w: dict(name="ds", root_path=None, dataset_id=None, org_id=None),
        dict(name=bad_name, root_path=bad_text, dataset_id=bad_optional_id, org_id=bad_text | unknown_id),
    ),
    EntryPoint(
        "register_file",
        lambda w, **a: register_file(roboto_client=w.client, **a),
        lambda w: dict(dataset_id=w.dataset.dataset_id, **_registration_fields(w)),
        {
            **_REGISTRATION_BAD,
            "dataset_id": bad_id,
            "device_id": bad_optional_id | unknown_id,
            "org_id": bad_text | unknown_id,
        },
    ),
    EntryPoint(
        "register_files",
        lambda w, **a: register_files(roboto_client=w.client, **a),
        lambda w: dict(
            registrations=[FileRegistration(w.dataset.dataset_id, w.new_path(), [good_topic()])],
            files_per_transaction=2,
        ),
        dict(
            registrations=bad_list_of(_not_text) | st.integers() | st.text(max_size=3),
            files_per_transaction=st.one_of(
                st.integers(max_value=0), st.floats(), st.text(max_size=2), st.none()
            ),
        ),
    ),
    EntryPoint(
        "File.set_timeline_offset",
        lambda w, **a: w.file.set_timeline_offset(**a),
        lambda w: dict(unix_epoch_offset_ns=5 * S, topic=None),
        dict(
            unix_epoch_offset_ns=bad_required_int64 | st.just(2**62),
            topic=bad_text | st.just("") | st.just("/nope"),
        ),
    ),
    EntryPoint(
        "File.set_start_time",
        lambda w, **a: w.file.set_start_time(**a),
        lambda w: dict(start_ns=T0 + 5 * S),
        dict(start_ns=bad_required_int64 | st.just(2**63 - 1) | st.just(-(2**63))),
    ),
    EntryPoint(
        "File.from_id",
        lambda w, **a: File.from_id(roboto_client=w.client, **a),
        lambda w: dict(file_id=w.file.file_id),
        dict(file_id=bad_id),
    ),
    EntryPoint(
        "RecordedTopic",
        lambda w, **a: RecordedTopic(**a),
        lambda w: dict(
            name="/imu",
            spans=((T0, T0 + S),),
            unix_epoch_offset_ns=0,
            message_count=3,
            schema_name="sensor_msgs/Imu",
            schema_encoding="ros1msg",
            timeline_source="log_time",
            partition="episode_index=0",
            row_range=(0, 3),
        ),
        dict(
            name=bad_required_text | st.just(""),
            spans=bad_list_of(bad_pair, (T0, T0 + S)),
            unix_epoch_offset_ns=bad_required_int64,
            message_count=bad_count,
            schema_name=bad_text,
            schema_encoding=bad_text,
            timeline_source=bad_choice(TIMELINE_SOURCES),
            partition=bad_text,
            row_range=bad_row_range,
        ),
    ),
    EntryPoint(
        "ActivityInterval",
        lambda w, **a: ActivityInterval(**a),
        lambda w: dict(kind="armed", start_ns=T0, end_ns=T0 + S),
        dict(
            kind=bad_choice(ACTIVITY_KINDS),
            start_ns=bad_required_int64 | st.just(T0 + 2 * S) | st.just(2**62),
            end_ns=bad_required_int64 | st.just(T0 - 1) | st.just(2**64),
        ),
    ),
    EntryPoint(
        "SessionFile",
        lambda w, **a: SessionFile(**a),
        lambda w: dict(file_id="fl_a", range_min_timestamp_ns=T0, range_max_timestamp_ns=T0 + 1),
        dict(
            file_id=bad_required_text | st.just(""),
            range_min_timestamp_ns=bad_int64 | st.just(T0 + 2),
            range_max_timestamp_ns=bad_int64 | st.just(None),
        ),
    ),
    EntryPoint(
        "FileRegistration",
        lambda w, **a: FileRegistration(**a),
        lambda w: dict(dataset_id=w.dataset.dataset_id, **_registration_fields(w)),
        dict(dataset_id=bad_required_text | st.just(""), **_REGISTRATION_BAD),
    ),
]

CASES = [(entry, argument) for entry in ENTRY_POINTS for argument in entry.bad]


def make_world(client: Client) -> World:
    device = Device.create("drone", device_id="dv_taken", roboto_client=client)
    dataset = Dataset.create("field", roboto_client=client)
    file = dataset.register_file("held.mcap", [good_topic()], device_id=device.device_id)
    session = device.create_session("flight", files=[file])
    return World(client, device, dataset, file, session)


@pytest.fixture(scope="module")
def world(module_catalogs: Callable[[str], Client]) -> World:
    """One world for every case of the module: the cases change nothing, which they check."""
    return make_world(
        module_catalogs("sqlite").as_caller(user="tester", org_ids=[f"org_{uuid.uuid4().hex[:12]}"])
    )


def snapshots(client: Client) -> int:
    """How many snapshots the catalog has: every commit, of any org, adds one."""
    return int(client.catalog.read(lambda tx: tx.scalar("SELECT count(*) FROM lake.snapshots()")))


@pytest.mark.parametrize(("entry", "argument"), CASES, ids=[f"{e.name}-{a}" for e, a in CASES])
def test_one_bad_argument_is_refused_with_nothing_written(world: World, entry: EntryPoint, argument: str):
    before, snapshots_before = table_contents(world.client), snapshots(world.client)

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(bad=entry.bad[argument])
    def one_bad_argument(bad: Any) -> None:
        arguments = {**entry.good(world), argument: bad}
        note(f"{entry.name}({argument}={bad!r})")
        with pytest.raises(SessionsError):
            result = entry.call(world, **arguments)
            if isinstance(result, GeneratorType):  # a listing: its rows are read as they are taken
                list(result)
        assert snapshots(world.client) == snapshots_before  # no commit at all

    one_bad_argument()
    assert table_contents(world.client) == before


def test_the_good_arguments_are_good(client: Client):
    """Each entry point with its valid arguments succeeds: the refusals above are the bad value's."""
    world = make_world(client)
    for entry in ENTRY_POINTS:
        result = entry.call(world, **entry.good(world))
        if isinstance(result, GeneratorType):
            list(result)
