"""The checks on the written sessions, called directly: passing on a catalog where their rule
holds, failing once a write breaks it."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.defs.resources import CatalogResource, FleetResource
from pipelines.defs.sessions import (
    contribution_ranges_are_two_sided,
    contributions_reference_existing_files,
    metadata_devices_are_in_the_catalog,
    stored_bounds_equal_recomputed_bounds,
)
from sessions_lib import Client
from sessions_lib.inference import infer_fleet_sessions, reconcile_devices, write_inferred_sessions
from tests.conftest import EPOCH_2026_NS, SECOND_NS, Recordings

FLEET_YAML = """
org_id: org_a
devices:
  - {device_id: dv_lead, name: lead, device_type: quadcopter}
  - {device_id: dv_wing, name: wing, device_type: quadcopter}
"""


@dataclass
class Fleet:
    catalog: CatalogResource
    fleet: FleetResource
    client: Client

    def write(self, sql: str, **params: object) -> None:
        self.client.catalog.transaction(lambda tx: tx.execute(sql, org_id="org_a", **params))


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    """A catalog holding the metadata's devices, three recordings and the sessions inferred from them."""
    (tmp_path / "devices.yaml").write_text(FLEET_YAML)
    catalog = CatalogResource(location=str(tmp_path / "catalog"), user="tester", org_ids=["org_a"])
    fleet = FleetResource(root=str(tmp_path))
    client = catalog.client()
    metadata = fleet.metadata()
    reconcile_devices(client, "org_a", metadata)
    recordings = Recordings(client)
    dataset = recordings.dataset().dataset_id
    for device_id, start_s in [("dv_lead", 0), ("dv_lead", 60), ("dv_wing", 3600)]:
        span = (start_s * SECOND_NS, (start_s + 30) * SECOND_NS)
        recordings.file({"/imu": [span]}, dataset_id=dataset, device_id=device_id, offset_ns=EPOCH_2026_NS)
    write_inferred_sessions(client, "org_a", infer_fleet_sessions(client, "org_a", metadata))
    yield Fleet(catalog, fleet, client)
    client.catalog.close()


def test_every_check_passes_on_a_catalog_the_pipeline_wrote(fleet: Fleet):
    for check in (
        stored_bounds_equal_recomputed_bounds,
        contributions_reference_existing_files,
        contribution_ranges_are_two_sided,
        metadata_devices_are_in_the_catalog,
    ):
        result = check(catalog=fleet.catalog, fleet=fleet.fleet)
        assert result.passed, check.name
        assert result.metadata["violations"].value == 0


def test_a_stored_bound_that_differs_from_the_recomputed_one_fails(fleet: Fleet):
    fleet.write(
        "UPDATE sessions SET max_timestamp_ns = max_timestamp_ns + 1 WHERE org_id = $org_id "
        "AND min_timestamp_ns = $start",
        start=EPOCH_2026_NS,
    )
    result = stored_bounds_equal_recomputed_bounds(catalog=fleet.catalog, fleet=fleet.fleet)
    assert not result.passed
    assert result.metadata["violations"].value == 1
    assert result.metadata["rule"].value == "stored bounds = recomputed bounds"


def test_a_contribution_of_a_missing_file_fails(fleet: Fleet):
    fleet.write(
        "DELETE FROM files WHERE org_id = $org_id AND file_id = "
        "(SELECT min(file_id) FROM session_files WHERE org_id = $org_id)"
    )
    result = contributions_reference_existing_files(catalog=fleet.catalog, fleet=fleet.fleet)
    assert not result.passed and result.metadata["violations"].value == 1


def test_a_one_sided_or_inverted_range_fails(fleet: Fleet):
    fleet.write(
        "UPDATE session_files SET range_min_timestamp_ns = 5 WHERE org_id = $org_id AND file_id = "
        "(SELECT min(file_id) FROM session_files WHERE org_id = $org_id)"
    )
    assert not contribution_ranges_are_two_sided(catalog=fleet.catalog, fleet=fleet.fleet).passed
    fleet.write(
        "UPDATE session_files SET range_max_timestamp_ns = 4 "
        "WHERE org_id = $org_id AND range_min_timestamp_ns = 5"
    )
    inverted = contribution_ranges_are_two_sided(catalog=fleet.catalog, fleet=fleet.fleet)
    assert not inverted.passed and inverted.metadata["violations"].value == 1


def test_a_metadata_device_the_catalog_lacks_fails(fleet: Fleet, tmp_path: Path):
    (tmp_path / "devices.yaml").write_text(FLEET_YAML + "  - {device_id: dv_new, name: new}\n")
    result = metadata_devices_are_in_the_catalog(catalog=fleet.catalog, fleet=fleet.fleet)
    assert not result.passed
    assert result.metadata["first"].value == "('dv_new',)"
