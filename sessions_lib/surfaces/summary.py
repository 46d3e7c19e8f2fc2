"""Short, readable text summaries of a catalog's sessions, for the end of a run.

Two shapes of one summary: ``summarize`` writes one line per session (``sessions summary``),
``summarize_by_device`` groups the sessions under their devices (the main job's report). Both walk
the Session API and end each session's line the same way: its bounds, file and topic counts. An
unanchored session's bounds are relative time (``t+00:03:11.000``), never 1970 dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sessions_lib.api.device import Device
from sessions_lib.api.session import Session
from sessions_lib.client import Client, resolve_client
from sessions_lib.model.timestamps import format_ns
from sessions_lib.surfaces.sql import anchored_sessions


def summarize(org_id: str | None = None, roboto_client: Client | None = None) -> str:
    """One line per session of the org: name, devices, bounds, contribution and topic counts."""
    client = resolve_client(roboto_client)
    lines = [
        f"{facts.session.session_id}  {facts.session.name or '(unnamed)':<24} "
        f"{','.join(facts.device_ids) or 'no device':<28} {facts.bounds_and_counts()}"
        for facts in _session_facts(org_id, client)
    ]
    header = f"{len(lines)} session(s) in org {client.resolve_org(org_id, 'org_id')!r}"
    return "\n".join([header, *lines])


def summarize_by_device(org_id: str | None = None, roboto_client: Client | None = None) -> str:
    """The org's sessions per device (by device id): a line naming the device and counting its
    sessions, then one per session, oldest first. A session on two devices is under both; one
    attached to no device is not listed. Empty when no session has a device.
    """
    client = resolve_client(roboto_client)
    by_device: dict[str, list[_SessionFacts]] = defaultdict(list)
    for facts in _session_facts(org_id, client):
        for device_id in facts.device_ids:
            by_device[device_id].append(facts)
    names = {d.device_id: d.name for d in Device.for_org(org_id, roboto_client=client)}
    lines = []
    for device_id in sorted(by_device):
        sessions = by_device[device_id]
        lines.append(f"{names.get(device_id, device_id)} ({device_id}): {len(sessions)} session(s)")
        for facts in sorted(sessions, key=_oldest_first):
            session = facts.session
            lines.append(f"  {session.name or session.session_id:<36} {facts.bounds_and_counts()}")
    return "\n".join(lines)


@dataclass(frozen=True)
class _SessionFacts:
    """What a summary line says of a session, each list read once per session."""

    session: Session
    device_ids: list[str]
    file_count: int
    topic_count: int
    anchored: bool

    def bounds_and_counts(self) -> str:
        lo, hi = self.session.min_timestamp_ns, self.session.max_timestamp_ns
        bounds = f"{format_ns(lo, self.anchored)} .. {format_ns(hi, self.anchored)}"
        return f"{bounds}  {self.file_count} file(s), {self.topic_count} topic(s)"


def _oldest_first(facts: _SessionFacts) -> tuple[bool, int]:
    start_ns = facts.session.min_timestamp_ns
    return start_ns is None, start_ns or 0


def _session_facts(org_id: str | None, client: Client) -> Iterator[_SessionFacts]:
    anchored = anchored_sessions(org_id, client)
    for session in Session.for_org(org_id, roboto_client=client):
        yield _SessionFacts(
            session,
            list(session.list_devices()),
            sum(1 for _ in session.list_files()),
            sum(1 for _ in session.list_topics()),
            anchored.get(session.session_id, True),  # a session made since: no files read as unanchored
        )
