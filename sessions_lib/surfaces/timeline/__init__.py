"""A timeline picture: an org's sessions per device over time, and one session's topics' extents.

The top panel has one row per device; each session is a bar from its first to its last instant,
named when the name fits, with its file contributions as thin bars inside (whole files and ranged
contributions in different colours). Long idle stretches between sessions are cut out of the time
axis (a hatched band says how long each cut is), so minutes-long sessions stay visible across days.
Unanchored sessions (times counted from their recording's own zero, not Unix time) get a panel of
their own below, on a relative axis (``t+00:05``), so the wall-clock axis never reaches back to
1970 for them. With ``session_id`` a last panel shows that session's topics: one row per topic,
its extents as bars coloured by file, the files' contribution windows shaded. Drawn with
matplotlib's Agg canvas (no display, no pyplot state), from the frames of
:mod:`sessions_lib.surfaces.frames`.

What is drawn is gathered in :mod:`.layout`, the time axis is :mod:`.axis`, and :mod:`.draw` (the
one module importing matplotlib) draws them.

>>> draw_timeline(Path("fleet.png"))  # doctest: +SKIP
>>> draw_timeline(Path("flight.png"), session_id="se_0123456789abcdef", width_px=1200)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sessions_lib.client import Client
from sessions_lib.errors import InvalidRequestError
from sessions_lib.surfaces.frames import OrgFrames

MIN_WIDTH_PX = 400

__all__ = ["MIN_WIDTH_PX", "draw_timeline"]


def draw_timeline(
    path: Path,
    *,
    org_id: str | None = None,
    device_ids: Sequence[str] | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    session_id: str | None = None,
    roboto_client: Client | None = None,
    width_px: int = 1600,
) -> Path:
    """Write a PNG of the org's sessions per device (optionally only ``device_ids``, only sessions
    overlapping the wall-clock window ``[start_ns, end_ns]``, which holds no unanchored session)
    and return its path.

    The image is ``width_px`` wide; its height grows with the number of device rows (and, with
    ``session_id``, of that session's topics). Raises ``InvalidRequestError`` when no session with
    contributions is in range (nothing to draw), ``NotFoundError`` for an unknown ``session_id``.

    >>> draw_timeline(Path("/tmp/fleet.png"), start_ns=t0, end_ns=t0 + 86_400 * 10**9)  # doctest: +SKIP
    PosixPath('/tmp/fleet.png')
    """
    if not isinstance(width_px, int) or width_px < MIN_WIDTH_PX:
        raise InvalidRequestError(f"width_px must be an integer of at least {MIN_WIDTH_PX}, got {width_px!r}")
    if start_ns is not None and end_ns is not None and start_ns > end_ns:
        raise InvalidRequestError(f"start_ns ({start_ns}) is after end_ns ({end_ns}): nothing to draw")
    if isinstance(device_ids, str):
        raise InvalidRequestError(f"device_ids must be a list of device ids, got {device_ids!r}")
    # polars (the layout) loads once the arguments are checked, matplotlib once there is
    # something to draw: checking arguments (the CLI's --width) stays cheap.
    from sessions_lib.surfaces.timeline.layout import fleet_panels, session_detail

    with OrgFrames(org_id, roboto_client) as frames:
        org = frames.org_id
        fleets = fleet_panels(frames, device_ids, start_ns, end_ns)
        detail = session_detail(frames, session_id) if session_id is not None else None

    from sessions_lib.surfaces.timeline.draw import render

    return render(
        path, org, fleets, detail, start_ns=start_ns, end_ns=end_ns, selected=session_id, width_px=width_px
    )
