"""Requests and errors need no catalog: a bad request is refused when it is built, before any
transaction, with a message naming the value and the rule."""

import json
import math
import pickle

import numpy as np
import pytest

from sessions_lib import InvalidRequestError, NotFoundError, NotSet, RecordedTopic, SessionFile
from sessions_lib.model.records import ActivityInterval
from sessions_lib.model.requests import DeviceChanges, FileRegistration, SessionChanges
from sessions_lib.model.validation import MAX_NAME_LENGTH, json_object_text, unique_ids, validate_int64


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
    with pytest.raises(
        InvalidRequestError,
        match=r"size_bytes \(a byte count\) must be an int64 integer of at least 0, got -1",
    ):
        FileRegistration("ds_a", "a.mcap", size_bytes=-1)


def test_not_found_builds_one_message_and_survives_pickling():
    one = NotFoundError("session", "se_x", "org_a")
    many = NotFoundError("file", ["fl_a", "fl_b"], "org_a")
    assert str(one) == "session 'se_x' not found in org 'org_a'"
    assert str(many) == "file(s) ['fl_a', 'fl_b'] not found in org 'org_a'; nothing was changed"
    copy = pickle.loads(pickle.dumps(many))  # crosses process boundaries (Dagster steps)
    assert (type(copy), str(copy), copy.kind, copy.org_id) == (NotFoundError, str(many), "file", "org_a")


def test_json_metadata_is_finite_with_string_keys_throughout():
    """The stored text is what ``json`` itself would write, and reads back to the same object; what
    it would change (a key ``1`` into ``"1"``) or could not write as JSON (NaN) is refused."""
    metadata = {"b": [1, 2.5, {"c": None}], "a": "x"}
    stored = json_object_text("m", metadata)
    assert stored == json.dumps(metadata, sort_keys=True) and json.loads(stored) == metadata
    for bad, rule in [
        ({"a": math.nan}, r"m\['a'\] is nan"),
        ({"a": [{"b": -math.inf}]}, r"m\['a'\]\[0\]\['b'\] is -inf"),
        ({1: "a"}, r"m has the key 1 \(int\): JSON object keys must be strings"),
        ({"a": {True: 1}}, r"m\['a'\] has the key True \(bool\)"),
        ({"a": b"x"}, r"m\['a'\] is b'x' \(bytes\), not JSON-serializable"),
        ({"a": "x\x00"}, r"m\['a'\] must not contain a NUL character"),
        ("abc", r"m must be a JSON object \(a mapping\), got 'abc'"),
    ]:
        with pytest.raises(InvalidRequestError, match=rule):
            json_object_text("m", bad)


def test_int64_is_checked_before_any_conversion():
    assert validate_int64("n", np.int64(-(2**63))) == -(2**63) and validate_int64("n", 2**63 - 1) == 2**63 - 1
    for bad in (2**63, -(2**63) - 1, np.uint64(2**64 - 1), 1.0, True, "1", None):
        with pytest.raises(InvalidRequestError, match="n must be an int64 integer"):
            validate_int64("n", bad)
    with pytest.raises(InvalidRequestError, match="at least 0, got -1"):
        validate_int64("n", -1, minimum=0)


def test_records_refuse_at_construction():
    assert RecordedTopic("/a", [[np.int64(1), 2]], row_range=(0, 2**63 - 1)).spans == ((1, 2),)
    assert ActivityInterval("episode", np.int64(5), 5) == ActivityInterval("episode", 5, 5)
    with pytest.raises(InvalidRequestError, match=r"spans must be a list of \(min, max\) pairs"):
        RecordedTopic("/a", 5)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match=r"row_range \(3, 1\) has its min after its max"):
        RecordedTopic("/a", (), row_range=(3, 1))
    with pytest.raises(InvalidRequestError, match="file_id must be a non-empty string"):
        SessionFile("")
    with pytest.raises(InvalidRequestError, match="start_ns must be an int64 integer"):
        ActivityInterval("armed", None, 1)  # type: ignore[arg-type]


def test_lists_are_lists():
    assert unique_ids("file", ("a", "b")) == ["a", "b"]
    for bad in ("ab", {"a": 1}, 3, b"ab"):
        with pytest.raises(InvalidRequestError, match="file ids must be a list of ids"):
            unique_ids("file", bad)
    with pytest.raises(InvalidRequestError, match=r"tags\[0\] must be a non-empty string"):
        SessionChanges(tags=[""])
    with pytest.raises(InvalidRequestError, match=r"notes must be a list of strings, got 'abc'"):
        FileRegistration("ds_a", "a.mcap", notes="abc")  # type: ignore[arg-type]
