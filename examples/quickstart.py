"""Quickstart: a formation flight registered, assembled into sessions and summarized.

Runs on its own catalog folder (``./.sessions/quickstart``, recreated each run, or the folder
given as the first argument), so it never touches another catalog:

    python examples/quickstart.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sessions_lib.api.registration import register_dataset, register_device, register_file
from sessions_lib.api.session import Session
from sessions_lib.client import Client
from sessions_lib.model.records import RecordedTopic, SessionFile
from sessions_lib.surfaces.summary import summarize

SECOND_NS = 1_000_000_000
T0_NS = 1_776_902_400 * SECOND_NS  # 2026-04-23T00:00:00Z


def seconds(start_s: int, end_s: int) -> tuple[int, int]:
    return T0_NS + start_s * SECOND_NS, T0_NS + end_s * SECOND_NS


def build(client: Client) -> list[Session]:
    """Two drones, three recordings, and the sessions a person would make of them."""
    lead = register_device("lead", device_type="quadcopter", device_id="dv_lead", roboto_client=client)
    wingman = register_device(
        "wingman", device_type="quadcopter", device_id="dv_wingman", roboto_client=client
    )
    dataset = register_dataset("2026-04-23 field test", root_path="recordings/", roboto_client=client)

    lead_log = register_file(
        dataset.dataset_id,
        "lead/flight.mcap",
        [
            RecordedTopic("/imu", (seconds(0, 600),), message_count=120_000),
            RecordedTopic("/gps", (seconds(5, 600),), message_count=5_950),
            RecordedTopic("/camera", (seconds(60, 120), seconds(400, 460)), message_count=3_600),
        ],
        device_id=lead.device_id,
        roboto_client=client,
    )
    wingman_log = register_file(
        dataset.dataset_id,
        "wingman/flight.mcap",
        [RecordedTopic("/imu", (seconds(30, 590),)), RecordedTopic("/gps", (seconds(30, 590),))],
        device_id=wingman.device_id,
        roboto_client=client,
    )
    # A ULog's boot-relative microseconds, anchored to the wall clock by its GPS time offset.
    day_log = register_file(
        dataset.dataset_id,
        "lead/day.ulg",
        [
            RecordedTopic(
                "vehicle_status", ((0, 7_200 * SECOND_NS),), unix_epoch_offset_ns=T0_NS - 1_800 * SECOND_NS
            ),
            RecordedTopic(
                "battery_status", ((0, 1_500 * SECOND_NS),), unix_epoch_offset_ns=T0_NS - 1_800 * SECOND_NS
            ),
        ],
        device_id=lead.device_id,
        roboto_client=client,
    )

    formation = Session.create(
        name="formation-2026-04-23-001", device_ids=[lead.device_id, wingman.device_id], roboto_client=client
    )
    formation.add_files(
        [
            SessionFile(lead_log.file_id),
            SessionFile(wingman_log.file_id),
            SessionFile(day_log.file_id, *seconds(0, 600)),  # only the slice of the day log in the flight
        ]
    )
    solo = Session.create(name="lead-ground-test", device_ids=[lead.device_id], roboto_client=client)
    solo.add_file(day_log.file_id, *seconds(-1_700, -1_400))
    return [formation, solo]


def main(argv: list[str]) -> None:
    folder = Path(argv[0] if argv else ".sessions/quickstart")
    if folder.exists():
        if not (folder / "catalog.sqlite").is_file():
            sys.exit(f"{folder} exists and is not a catalog folder: not touching it")
        shutil.rmtree(folder)
    client = Client(folder, org_ids=["org_local"])
    sessions = build(client)
    print(f"catalog: {folder.absolute()}")
    print(summarize(roboto_client=client))
    formation = sessions[0]
    print(f"\ntopics of {formation.name}: {', '.join(t.name for t in formation.list_topics())}")


if __name__ == "__main__":
    main(sys.argv[1:])
