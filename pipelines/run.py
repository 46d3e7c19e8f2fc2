"""The main job: every asset of the fleet pipeline materialized in-process, then a summary.

python -m pipelines                      # data/ into the ambient catalog (./.sessions)
python -m pipelines data --catalog /srv/fleet
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from dagster import DagsterInstance, materialize

from pipelines.assets import FLEET_ASSETS
from pipelines.assets.fleet import acting_org
from pipelines.checks import FLEET_CHECKS
from pipelines.resources import CatalogResource, FleetResource
from sessions_lib import Device, Session
from sessions_lib.client import Client
from sessions_lib.summary import format_ns

PROBLEM_FILES = """
SELECT d.name, f.relative_path, f.ingest_status, f.ingest_error, f.device_id
FROM files AS f JOIN datasets AS d ON d.org_id = f.org_id AND d.dataset_id = f.dataset_id
WHERE f.org_id = $org_id AND (f.ingest_status = 'failed' OR f.device_id IS NULL)
ORDER BY d.name, f.relative_path
"""


def run_fleet(root: Path, catalog_location: str | None = None) -> tuple[bool, str]:
    """Materialize every asset and run every check; return whether all passed, and the summary."""
    catalog = CatalogResource(location=catalog_location)
    fleet = FleetResource(root=str(root))
    result = materialize(
        [*FLEET_ASSETS, *FLEET_CHECKS],
        resources={"catalog": catalog, "fleet": fleet},
        instance=DagsterInstance.ephemeral(),
        run_config={
            "loggers": {"console": {"config": {"log_level": "WARNING"}}}
        },  # the summary is the report
        raise_on_error=False,
    )
    checks = result.get_asset_check_evaluations()
    failed_checks = [c.check_name for c in checks if not c.passed]
    client = catalog.client()
    lines = [fleet_summary(client, acting_org(client, fleet.metadata()))]
    lines.append(f"checks: {len(checks) - len(failed_checks)} of {len(checks)} passed")
    lines += [f"  FAILED check {name}" for name in failed_checks]
    if not result.success:
        lines.append("the run failed: see the errors above")
    return result.success and not failed_checks, "\n".join(lines)


def fleet_summary(client: Client, org_id: str) -> str:
    """Sessions per device with their bounds and topic counts, then the files that need a look."""
    sessions_by_device: dict[str, list[Session]] = defaultdict(list)
    for session in Session.for_org(org_id, roboto_client=client):
        for device_id in session.list_devices() or ["(no device)"]:
            sessions_by_device[device_id].append(session)
    names = {d.device_id: d.name for d in Device.for_org(org_id, roboto_client=client)}
    lines = []
    for device_id in sorted(sessions_by_device):
        sessions = sessions_by_device[device_id]
        lines.append(f"{names.get(device_id, device_id)} ({device_id}): {len(sessions)} session(s)")
        for s in sorted(sessions, key=lambda s: (s.min_timestamp_ns is None, s.min_timestamp_ns or 0)):
            topics = sum(1 for _ in s.list_topics())
            files = sum(1 for _ in s.list_files())
            lines.append(
                f"  {s.name or s.session_id:<36} {format_ns(s.min_timestamp_ns)} .. "
                f"{format_ns(s.max_timestamp_ns)}  {files} file(s), {topics} topic(s)"
            )
    problems = client.catalog.transaction(lambda tx: tx.rows(PROBLEM_FILES, org_id=org_id))
    if problems:
        lines.append("problems:")
    for dataset, path, status, error, device_id in problems:
        if status == "failed":
            lines.append(f"  corrupt or unreadable: {dataset}/{path}: {error}")
        elif device_id is None:
            lines.append(f"  no device matches: {dataset}/{path}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", nargs="?", default="data", help="fleet folder (device metadata + datasets)")
    parser.add_argument(
        "--catalog", default=None, help="catalog folder (default: $SESSIONS_CATALOG or .sessions)"
    )
    args = parser.parse_args(argv)
    passed, summary = run_fleet(Path(args.root), args.catalog)
    print(summary)
    return 0 if passed else 1
