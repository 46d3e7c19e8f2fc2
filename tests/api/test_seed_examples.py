"""The API reference's own examples (seed/session_api.txt), run as written.

Only the import line changes: ``from roboto.domain.sessions import ...`` becomes
``from sessions_lib import ...``. The ids the examples use are registered first.
"""

import doctest

import pytest

from sessions_lib import Session, register_dataset
from tests.conftest import EPOCH_2026_NS, SECOND_NS, Recordings

CLASS_EXAMPLE = """
>>> from sessions_lib import Session
>>> session = Session.create(name="flight-2026-04-23-001", device_ids=["dv_abc"])
>>> session = session.add_file("fl_0123456789abcdef")
>>> for topic in session.list_topics():
...     print(topic.name)
/battery
/imu
"""

ADD_FILE_EXAMPLES = """
>>> session.add_file("fl_0123456789abcdef")  # doctest: +ELLIPSIS
Session(...)
>>> session.add_file(
...     "fl_0123456789abcdef",
...     range_min_timestamp_ns=1_700_000_000_000_000_000,
...     range_max_timestamp_ns=1_700_000_060_000_000_000,
... )  # doctest: +ELLIPSIS
Session(...)
"""

ADD_FILES_EXAMPLE = """
>>> from sessions_lib import SessionFile
>>> session.add_files(
...     [
...         SessionFile(file_id="fl_aaa"),
...         SessionFile(
...             file_id="fl_bbb",
...             range_min_timestamp_ns=1_700_000_000_000_000_000,
...             range_max_timestamp_ns=1_700_000_060_000_000_000,
...         ),
...     ]
... )  # doctest: +ELLIPSIS
Session(...)
"""

ATTACH_EXAMPLE = """
>>> session.attach_to_device("dv_wingman")
>>> list(session.list_devices())
['dv_lead', 'dv_wingman']
"""

CREATE_EXAMPLE = """
>>> from sessions_lib import Session
>>> session = Session.create(name="flight-2026-04-23-001", device_ids=["dv_a", "dv_b"])
"""

FOR_DATASET_EXAMPLE = """
>>> from sessions_lib import Session
>>> for session in Session.for_dataset("ds_abc"):
...     print(session.session_id, session.name)  # doctest: +ELLIPSIS
se_... flight-2026-04-23-001
"""

LIST_TOPICS_EXAMPLE = """
>>> for topic in session.list_topics():
...     print(topic.topic_id, topic.name)  # doctest: +ELLIPSIS
tp_... /battery
tp_... /imu
"""


def run_example(source: str, globs: dict) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(source, globs, "seed example", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.tries > 0
    assert runner.failures == 0, f"seed example failed:\n{source}"


@pytest.fixture
def seeded(ambient, recordings: Recordings) -> Recordings:
    """The ids the examples name, registered in the ambient catalog."""
    for device_id in ("dv_abc", "dv_a", "dv_b", "dv_lead", "dv_wingman"):
        recordings.device(device_id, device_id=device_id)
    register_dataset("example", dataset_id="ds_abc", roboto_client=recordings.client)
    t0 = 1_700_000_000 * SECOND_NS
    recordings.file(
        {"/imu": [(t0, t0 + 120 * SECOND_NS)], "/battery": [(t0 + 30 * SECOND_NS, t0 + 90 * SECOND_NS)]},
        dataset_id="ds_abc",
        file_id="fl_0123456789abcdef",
    )
    recordings.file({"/imu": [(EPOCH_2026_NS, EPOCH_2026_NS + SECOND_NS)]}, file_id="fl_aaa")
    recordings.file({"/gps": [(t0, t0 + 600 * SECOND_NS)]}, file_id="fl_bbb")
    return recordings


def test_class_example(seeded):
    run_example(CLASS_EXAMPLE, {})


def test_method_examples(seeded):
    session = Session.create(name="flight-2026-04-23-001", device_ids=["dv_lead"])
    globs = {"session": session}
    for example in (ADD_FILE_EXAMPLES, ADD_FILES_EXAMPLE, ATTACH_EXAMPLE, LIST_TOPICS_EXAMPLE):
        run_example(example, globs)
    run_example(CREATE_EXAMPLE, {})
    run_example(FOR_DATASET_EXAMPLE, {})


def test_examples_leave_the_documented_state(seeded):
    session = Session.create(name="flight-2026-04-23-001", device_ids=["dv_lead"])
    run_example(ADD_FILE_EXAMPLES + ADD_FILES_EXAMPLE, {"session": session})
    reloaded = Session.from_id(session.session_id)
    assert [(f.file_id, f.range_min_timestamp_ns) for f in reloaded.list_files()] == [
        ("fl_0123456789abcdef", 1_700_000_000_000_000_000),
        ("fl_aaa", None),
        ("fl_bbb", 1_700_000_000_000_000_000),
    ]
    assert reloaded.min_timestamp_ns == 1_700_000_000_000_000_000
    assert reloaded.max_timestamp_ns == EPOCH_2026_NS + SECOND_NS
