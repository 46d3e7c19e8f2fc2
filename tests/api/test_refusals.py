"""Bad values at the API: each refused with ``InvalidRequestError`` naming the field, the value
and the rule, before anything is written; values just inside the rules are stored and read back
as given."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from sessions_lib import (
    Client,
    Dataset,
    Device,
    File,
    InvalidRequestError,
    RecordedTopic,
    Session,
    register_file,
)
from sessions_lib.model.records import ActivityInterval
from tests.conftest import table_contents

S = 1_000_000_000
T0 = 1_776_902_400 * S


class World:
    def __init__(self, client: Client) -> None:
        self.client = client
        self.device = Device.create("drone", roboto_client=client)
        self.dataset = Dataset.create("field", roboto_client=client)
        self.file = self.dataset.register_file("held.mcap", [imu()], device_id=self.device.device_id)
        self.session = self.device.create_session("flight", files=[self.file])

    def register(self, **fields: Any) -> File:
        return self.dataset.register_file("new.mcap", **{"topics": [imu()], **fields})


def imu(**fields: Any) -> RecordedTopic:
    return RecordedTopic("/imu", ((T0, T0 + S),), **fields)


@pytest.fixture
def world(client: Client) -> World:
    return World(client)


def refused(world: World, match: str, call: Callable[[], Any]) -> None:
    before = table_contents(world.client)
    with pytest.raises(InvalidRequestError, match=match):
        call()
    assert table_contents(world.client) == before


NOT_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("value", NOT_FINITE)
def test_metadata_numbers_must_be_finite_at_every_entry_point(world: World, value: float):
    rule = rf"metadata\['a'\]\[1\]\['b'\] is {value!r}: JSON numbers must be finite"
    metadata = {"a": [1, {"b": value}]}
    refused(world, rule, lambda: Session.create("s", metadata=metadata, roboto_client=world.client))
    refused(world, rule, lambda: world.session.update(metadata=metadata))
    refused(world, rule, lambda: world.device.create_session("n", metadata=metadata))
    refused(world, rule, lambda: Device.create("d", metadata=metadata, roboto_client=world.client))
    refused(world, rule, lambda: world.device.update(metadata=metadata))


def test_metadata_keys_must_be_strings(world: World):
    refused(
        world,
        r"session metadata has the key 1 \(int\): JSON object keys must be strings",
        lambda: world.session.update(metadata={1: "a"}),
    )
    refused(
        world,
        r"device metadata\['x'\] has the key None",
        lambda: world.device.update(metadata={"x": {None: 1}}),
    )


def test_metadata_refuses_what_json_cannot_hold(world: World):
    refused(world, r"not JSON-serializable", lambda: world.session.update(metadata={"s": {1, 2}}))
    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    refused(world, r"contains itself", lambda: world.session.update(metadata=cycle))


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        (dict(message_count=-5), r"message_count must be an int64 integer of at least 0, got -5"),
        (dict(schema_name=123), r"schema_name must be a string, got 123 \(int\)"),
        (dict(partition=123), r"partition must be a string, got 123 \(int\)"),
        (dict(row_range=(0, 2**70)), r"row_range \(0, 1180591620717411303424\) is not two int64 integers"),
        (dict(row_range=(-1, 3)), r"row_range \(-1, 3\) starts before row 0"),
    ],
)
def test_topic_fields(world: World, topic: dict[str, Any], message: str):
    refused(world, rf"topic '/imu': {message}", lambda: world.register(topics=[imu(**topic)]))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (dict(notes="abc"), r"notes must be a list of strings, got 'abc' \(str\)"),
        (dict(notes=[1]), r"notes\[0\] must be a string, got 1 \(int\)"),
        (dict(anchored="yes"), r"anchored must be True, False or None, got 'yes'"),
        (dict(read_method="bogus"), r"read_method 'bogus' is not one of \('summary', 'index'"),
        (dict(identifiers="x"), r"identifiers must be a mapping of strings to strings, got 'x'"),
        (dict(identifiers={"k": 1}), r"identifiers\['k'\] must be a string, got 1"),
        (dict(device_id=123), r"device_id must be a string, got 123 \(int\)"),
        (dict(file_id=["fl_a"]), r"file_id must be a string"),
    ],
)
def test_file_fields(world: World, fields: dict[str, Any], message: str):
    refused(world, rf"file 'new.mcap': {message}", lambda: world.register(**fields))


def test_register_file_type_checks_its_ids(world: World):
    refused(
        world,
        r"file 'a.mcap': device_id must be a string, got 123 \(int\)",
        lambda: register_file(world.dataset.dataset_id, "a.mcap", device_id=123, roboto_client=world.client),
    )
    refused(
        world,
        r"file 'a.mcap': dataset_id must be a string, got 7 \(int\)",
        lambda: register_file(7, "a.mcap", roboto_client=world.client),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        (lambda: ActivityInterval("armed", T0 + 1, T0), r"start_ns \(\d+\) is after end_ns"),
        (
            lambda: ActivityInterval("armed", 1.5, 5.0),
            r"start_ns must be an int64 integer, got 1.5 \(float\)",
        ),
        (
            lambda: ActivityInterval("armed", 0, 2**64),
            r"end_ns must be an int64 integer, got 18446744073709551616",
        ),
        (lambda: ActivityInterval("armed", 0, 2**62), r"end_ns 4611686018427387904 is beyond ±2\*\*62 ns"),
        (
            lambda: ActivityInterval("landed", 0, 1),
            r"activity kind 'landed' is not one of \('armed', 'episode'\)",
        ),
    ],
)
def test_activity_intervals(world: World, interval: Callable[[], ActivityInterval], message: str):
    refused(world, message, lambda: world.register(activity=[interval()]))


def test_activity_must_be_intervals(world: World):
    refused(
        world, r"activity must be ActivityInterval, got \(0, 1\)", lambda: world.register(activity=[(0, 1)])
    )


UNSTORABLE = ["a\x00b", "\x00", "a\ud800", "\udfffz"]


@pytest.mark.parametrize("text", UNSTORABLE)
def test_strings_the_catalog_cannot_store(world: World, text: str):
    rule = (
        "must not contain a NUL character"
        if "\x00" in text
        else r"must be valid Unicode text \(no lone surrogate\)"
    )
    c = world.client
    refused(world, f"device name {rule}", lambda: Device.create(text, roboto_client=c))
    refused(world, f"device_id {rule}", lambda: Device.create("d", device_id=text, roboto_client=c))
    refused(world, f"dataset: root_path {rule}", lambda: Dataset.create("d", root_path=text, roboto_client=c))
    refused(world, f"relative_path {rule}", lambda: world.dataset.register_file(text))
    refused(world, f"topic name {rule}", lambda: world.register(topics=[RecordedTopic(text, ())]))
    refused(world, rf"notes\[0\] {rule}", lambda: world.register(notes=[text]))
    refused(world, rf"tags\[1\] {rule}", lambda: world.session.update(tags=["ok", text]))
    refused(world, f"description {rule}", lambda: world.session.update(description=text))
    refused(world, rf"metadata\['k'\] {rule}", lambda: world.session.update(metadata={"k": text}))
    refused(world, f"metadata key {rule}", lambda: world.device.update(metadata={text: 1}))
    refused(world, f"file_id {rule}", lambda: world.session.add_file(text))
    refused(world, f"device_id {rule}", lambda: world.session.attach_to_device(text))
    refused(world, f"session_id {rule}", lambda: Session.from_id(text, roboto_client=c))


def test_a_string_is_not_split_where_a_list_goes(world: World):
    file_id = world.file.file_id
    refused(
        world,
        rf"files must be a list of SessionFile entries, File objects or file ids, got '{file_id}' \(str\)",
        lambda: world.device.create_session("n", files=file_id),
    )
    refused(world, "files must be a list", lambda: world.session.add_files(file_id))  # type: ignore[arg-type]
    refused(world, "file ids must be a list of ids", lambda: world.session.remove_files(file_id))
    refused(world, "tags must be a list of strings", lambda: world.device.create_session("n", tags="abc"))
    refused(
        world,
        "device ids must be a list of ids",
        lambda: world.dataset.create_session(device_ids=world.device.device_id),
    )
    refused(
        world,
        "include_patterns must be a list",
        lambda: world.dataset.create_session(include_patterns="*.mcap"),
    )


def test_every_id_argument_is_type_checked(world: World):
    c = world.client
    for call, field in [
        (lambda: Session.from_id(1, roboto_client=c), "session_id"),
        (lambda: Device.from_id(1, roboto_client=c), "device_id"),
        (lambda: Dataset.from_id(1, roboto_client=c), "dataset_id"),
        (lambda: File.from_id(1, roboto_client=c), "file_id"),
        (lambda: Session.for_dataset(1, roboto_client=c), "dataset_id"),
        (lambda: world.session.attach_to_device(1), "device_id"),
        (lambda: world.session.detach_from_device(1), "device_id"),
        (lambda: world.session.remove_files([1]), "file_id"),
        (lambda: Session.create("s", device_ids=[1], roboto_client=c), "device_id"),
        (lambda: world.file.set_timeline_offset(0, topic=1), "topic"),
    ]:
        refused(world, rf"{field} must be a string, got 1 \(int\)", call)


def test_values_inside_the_rules_are_stored_as_given(world: World):
    """The other side of the rules: what they allow comes back unchanged, and can be found again."""
    odd = "ü \x01\t\u2028 \U0001f680 \ufffe"
    metadata = {"n": [0, -1.5, 1e308, 2**70, None, True], "s": odd, odd: {"": {}}}
    device = Device.create(odd, device_id=f"dv_{odd}", metadata=metadata, roboto_client=world.client)
    again = Device.from_id(device.device_id, roboto_client=world.client)
    assert (again.name, again.device_id, dict(again.metadata)) == (odd, f"dv_{odd}", metadata)
    file = world.dataset.register_file(
        odd,
        [RecordedTopic(odd, ((T0, T0 + S),), message_count=0, partition=odd, row_range=(0, 2**63 - 1))],
        notes=[odd],
        identifiers={odd: odd},
        activity=[ActivityInterval("armed", T0, T0)],
        anchored=False,
        read_method="scan",
    )
    stored = File.from_id(file.file_id, roboto_client=world.client)
    assert (stored.relative_path, stored.notes, dict(stored.identifiers)) == (odd, (odd,), {odd: odd})
    (topic,) = stored.list_topics()
    assert (topic.name, topic.partition_key, topic.row_end, topic.message_count) == (odd, odd, 2**63 - 1, 0)
    session = world.session.update(tags=[odd], description=odd, metadata=metadata)
    again_session = Session.from_id(session.session_id, roboto_client=world.client)
    assert (again_session.tags, again_session.description, dict(again_session.metadata)) == (
        (odd,),
        odd,
        metadata,
    )
