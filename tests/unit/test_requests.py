"""Requests and errors need no catalog: a bad request is refused when it is built, before any
transaction, with a message naming the value and the rule."""

import pickle

import pytest

from sessions_lib import InvalidRequestError, NotFoundError, NotSet, RecordedTopic
from sessions_lib.model.requests import DeviceChanges, FileRegistration, SessionChanges
from sessions_lib.model.validation import MAX_NAME_LENGTH


def test_session_changes_write_only_what_is_set():
    assert SessionChanges().columns() == {}
    assert SessionChanges(name=None).columns() == {"name": None}  # None clears
    assert SessionChanges(tags=None, metadata=None).columns() == {"tags": (), "metadata": {}}
    assert SessionChanges(name="flight", tags=["a", "b"]).columns() == {"name": "flight", "tags": ("a", "b")}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(name="x" * (MAX_NAME_LENGTH + 1)), "the limit is 120"),
        (dict(name=""), "must not be empty"),
        (dict(description=5), "description must be a string"),
        (dict(tags="solo"), "tags must be a list of strings"),
        (dict(metadata=[1]), "must be a JSON object"),
    ],
)
def test_session_changes_refuse_bad_values(changes, message):
    with pytest.raises(InvalidRequestError, match=message):
        SessionChanges(**changes)


def test_device_changes_check_the_same_rules_as_device_create():
    assert DeviceChanges(device_type=None).columns() == {"device_type": None}
    assert DeviceChanges(name=NotSet, metadata=None).columns() == {"metadata": {}}
    with pytest.raises(InvalidRequestError, match=r"device_type must be a string, got 5 \(int\)"):
        DeviceChanges(device_type=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="device name is required"):
        DeviceChanges(name=None)  # type: ignore[arg-type]


def test_file_registration_refuses_what_cannot_be_stored():
    imu = RecordedTopic("/imu", spans=((0, 10),))
    assert FileRegistration("ds_a", "a.mcap", [imu]).topics == (imu,)
    with pytest.raises(InvalidRequestError, match="relative_path must be a non-empty string"):
        FileRegistration("ds_a", "")
    with pytest.raises(InvalidRequestError, match="given more than once"):
        FileRegistration("ds_a", "a.mcap", [imu, imu])
    with pytest.raises(InvalidRequestError, match="has no topics"):
        FileRegistration("ds_a", "a.mcap", [imu], ingest_error="cut off")
    with pytest.raises(InvalidRequestError, match=r"size_bytes \(a byte count\) must be an int64 integer of at least 0, got -1"):
        FileRegistration("ds_a", "a.mcap", size_bytes=-1)


def test_not_found_builds_one_message_and_survives_pickling():
    one = NotFoundError("session", "se_x", "org_a")
    many = NotFoundError("file", ["fl_a", "fl_b"], "org_a")
    assert str(one) == "session 'se_x' not found in org 'org_a'"
    assert str(many) == "file(s) ['fl_a', 'fl_b'] not found in org 'org_a'; nothing was changed"
    copy = pickle.loads(pickle.dumps(many))  # crosses process boundaries (Dagster steps)
    assert (type(copy), str(copy), copy.kind, copy.org_id) == (NotFoundError, str(many), "file", "org_a")
