"""The asset checks called directly, without a run: each passes on a sound catalog and fails, naming
what is wrong, on one whose rows break its rule (written by hand, as no library call would).

Each test works in an org of its own (the metadata's) on a catalog this module shares.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.defs.resources import CatalogResource, FleetResource
from pipelines.defs.sessions import (
    SESSION_CHECKS,
    contribution_ranges_are_two_sided,
    contributions_reference_existing_files,
    metadata_devices_are_in_the_catalog,
    stored_bounds_equal_recomputed_bounds,
)
from sessions_lib import Client, RecordedTopic, Session, register_dataset, register_device, register_file

METADATA = """
org_id: {org_id}
device_types:
  rover: {{session_gap_s: 60}}
devices:
  - device_id: dv_one
    name: one
    device_type: rover
    match:
      paths: ["one/"]
"""


@pytest.fixture(scope="module")
def catalog_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("checks") / "catalog"


@pytest.fixture
def org_id() -> str:
    return f"org_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def resources(catalog_folder: Path, org_id: str, tmp_path: Path) -> Iterator[dict]:
    """What the checks take: the catalog (as the metadata's org) and a fleet folder whose metadata
    names one device, dv_one."""
    (tmp_path / "devices.yaml").write_text(METADATA.format(org_id=org_id))
    catalog = CatalogResource(location=str(catalog_folder), user="tester", org_ids=[org_id])
    yield {"catalog": catalog, "fleet": FleetResource(root=str(tmp_path))}
    catalog.client().catalog.close()


@pytest.fixture
def client(resources: dict) -> Client:
    return resources["catalog"].client()


@pytest.fixture
def sound(client: Client) -> Session:
    """A sound catalog: dv_one registered, a session with a whole file and a narrowed one."""
    device = register_device("one", device_id="dv_one", roboto_client=client).device_id
    dataset = register_dataset("d", roboto_client=client).dataset_id
    a = register_file(dataset, "one/a.mcap", [RecordedTopic("/imu", ((0, 100),))], roboto_client=client)
    b = register_file(dataset, "one/b.mcap", [RecordedTopic("/imu", ((200, 300),))], roboto_client=client)
    session = Session.create(name="s", device_ids=[device], roboto_client=client)
    return session.add_file(a).add_file(b, 220, 240)


def test_every_check_passes_on_a_sound_catalog(resources: dict, sound: Session):
    for check in SESSION_CHECKS:
        result = check(**resources)
        assert result.passed, check.name
        assert result.metadata["violations"].value == 0
        assert result.metadata["first"].value == "none"


def test_every_check_passes_on_an_empty_org_without_devices(resources: dict, client: Client):
    register_device("one", device_id="dv_one", roboto_client=client)
    for check in SESSION_CHECKS:
        assert check(**resources).passed, check.name


def test_bounds_check_fails_on_stored_bounds_that_differ(resources: dict, client: Client, sound: Session):
    client.catalog.transaction(
        lambda tx: tx.execute(
            "UPDATE sessions SET max_timestamp_ns = 999 WHERE session_id = $s", s=sound.session_id
        )
    )
    result = stored_bounds_equal_recomputed_bounds(**resources)
    assert not result.passed
    assert result.metadata["violations"].value == 1
    assert sound.session_id in result.metadata["first"].value
    # the other checks do not see this break
    assert contributions_reference_existing_files(**resources).passed
    assert contribution_ranges_are_two_sided(**resources).passed


def test_file_check_fails_on_a_contribution_of_a_missing_file(
    resources: dict, client: Client, sound: Session
):
    (held,) = [f.file_id for f in sound.list_files() if f.range_min_timestamp_ns is None]
    client.catalog.transaction(lambda tx: tx.execute("DELETE FROM files WHERE file_id = $f", f=held))
    result = contributions_reference_existing_files(**resources)
    assert not result.passed
    assert result.metadata["violations"].value == 1
    assert held in result.metadata["first"].value


def test_range_check_fails_on_a_one_sided_or_inverted_range(resources: dict, client: Client, sound: Session):
    (narrowed,) = [f.file_id for f in sound.list_files() if f.range_min_timestamp_ns is not None]
    for update in (
        "UPDATE session_files SET range_max_timestamp_ns = NULL WHERE file_id = $f",  # one-sided
        "UPDATE session_files SET range_min_timestamp_ns = 50, range_max_timestamp_ns = 10 "
        "WHERE file_id = $f",  # inverted
    ):
        client.catalog.transaction(lambda tx, sql=update: tx.execute(sql, f=narrowed))
        result = contribution_ranges_are_two_sided(**resources)
        assert not result.passed, update
        assert result.metadata["violations"].value == 1
        assert narrowed in result.metadata["first"].value


def test_device_check_fails_when_a_metadata_device_is_not_in_the_catalog(resources: dict, client: Client):
    register_device("another", device_id="dv_another", roboto_client=client)
    result = metadata_devices_are_in_the_catalog(**resources)
    assert not result.passed
    assert result.metadata["violations"].value == 1
    assert "dv_one" in result.metadata["first"].value
