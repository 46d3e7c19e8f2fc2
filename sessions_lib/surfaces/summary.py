"""A short, readable text summary of a catalog's sessions, for the end of a run."""

from __future__ import annotations

from sessions_lib.api.session import Session
from sessions_lib.client import Client, resolve_client
from sessions_lib.model.timestamps import format_ns


def summarize(org_id: str | None = None, roboto_client: Client | None = None) -> str:
    """One line per session of the org: name, devices, bounds, contribution and topic counts."""
    client = resolve_client(roboto_client)
    lines = []
    for session in Session.for_org(org_id, roboto_client=client):
        devices = ",".join(session.list_devices()) or "no device"
        files = sum(1 for _ in session.list_files())
        topics = sum(1 for _ in session.list_topics())
        lines.append(
            f"{session.session_id}  {session.name or '(unnamed)':<24} {devices:<28} "
            f"{format_ns(session.min_timestamp_ns)} .. {format_ns(session.max_timestamp_ns)}  "
            f"{files} file(s), {topics} topic(s)"
        )
    header = f"{len(lines)} session(s) in org {client.resolve_org(org_id, 'org_id')!r}"
    return "\n".join([header, *lines])
