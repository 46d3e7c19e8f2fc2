"""ROS naming shared by the bag readers: namespaces (what identifies a robot) and wall clock."""

from __future__ import annotations

from collections.abc import Iterable

from sessions_lib.model.records import RecordedTopic
from sessions_lib.readers.spans import is_wall_clock

# Topics every ROS graph has whatever the robot is called; they say nothing about its namespace.
GLOBAL_TOPICS = frozenset(
    {
        "/clock",
        "/diagnostics",
        "/diagnostics_agg",
        "/events/write_split",
        "/parameter_events",
        "/rosout",
        "/rosout_agg",
        "/tf",
        "/tf_static",
    }
)
_SERVICE_EVENT_SUFFIX = "/_service_event"


def wall_clock_check(topics: Iterable[RecordedTopic]) -> tuple[bool, str | None]:
    """Whether the topics' times look like Unix-epoch wall clock, and a note when they do not.

    ROS stamps with wall clock unless the graph ran on ``/clock`` (simulation), which starts near 0.
    """
    earliest = min((t.spans[0][0] for t in topics if t.spans), default=None)
    if is_wall_clock(earliest):
        return True, None
    return False, (
        f"earliest time {earliest} ns is before 2000-01-01: simulated or boot time, not wall clock"
    )


def topic_namespaces(topic_names: Iterable[str]) -> tuple[str, ...]:
    """First path segments of namespaced topics, e.g. ``("/drone1",)`` for ``/drone1/imu``.

    Graph-wide topics (``/tf``, ``/rosout``, ...) and a service's ``/_service_event`` suffix are
    ignored; a topic directly under ``/`` has no namespace.

    >>> topic_namespaces(["/drone1/imu", "/drone1/gps/fix", "/tf", "/rosout"])
    ('/drone1',)
    """
    namespaces: set[str] = set()
    for name in topic_names:
        if name in GLOBAL_TOPICS:
            continue
        name = name.removesuffix(_SERVICE_EVENT_SUFFIX)
        segments = [s for s in name.split("/") if s]
        if len(segments) >= 2:
            namespaces.add("/" + segments[0])
    return tuple(sorted(namespaces))


def namespace_identifiers(topic_names: Iterable[str]) -> dict[str, str]:
    """``ros.namespaces`` (comma-separated) and, when all namespaced topics share one, ``ros.namespace``.

    ``ros.namespace`` is set only if every non-global topic lives under that one namespace, so a
    bag of ``/drone1/...`` topics identifies ``/drone1`` but ``/turtle1/...`` plus ``/turtle2/...`` does not.

    >>> namespace_identifiers(["/drone1/imu", "/drone1/gps", "/tf"])
    {'ros.namespaces': '/drone1', 'ros.namespace': '/drone1'}
    """
    names = [n for n in topic_names if n not in GLOBAL_TOPICS]
    namespaces = topic_namespaces(names)
    identifiers: dict[str, str] = {}
    if namespaces:
        identifiers["ros.namespaces"] = ",".join(namespaces)
    if len(namespaces) == 1 and all(n.startswith(namespaces[0] + "/") for n in names):
        identifiers["ros.namespace"] = namespaces[0]
    return identifiers
