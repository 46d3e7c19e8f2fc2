"""The code location's resources read their settings through ``dg.EnvVar`` where the environment
sets them, and keep their defaults where it does not."""

from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import catalog_from_env, fleet_from_env

VARIABLES = ("SESSIONS_DATA", "SESSIONS_CATALOG", "SESSIONS_DATA_PATH", "SESSIONS_USER", "SESSIONS_ORG_IDS")


@pytest.fixture(autouse=True)
def unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_unset_variables_leave_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fleet, catalog = fleet_from_env(), catalog_from_env()
    assert fleet.root == "data"
    assert (catalog.location, catalog.data_path, catalog.user, catalog.org_ids) == (None, None, None, None)
    monkeypatch.chdir(tmp_path)  # the library default: ./.sessions
    client = catalog.client()
    assert client.catalog.location.metadata_path == tmp_path / ".sessions" / "catalog.sqlite"


def test_set_variables_become_env_vars_that_dagster_resolves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSIONS_DATA", str(tmp_path / "fleet"))
    monkeypatch.setenv("SESSIONS_CATALOG", str(tmp_path / "cat"))
    monkeypatch.setenv("SESSIONS_USER", "scheduler")
    fleet, catalog = fleet_from_env(), catalog_from_env()
    assert fleet.root == dg.EnvVar("SESSIONS_DATA")  # the variable's name: read when a run starts
    assert isinstance(catalog.location, dg.EnvVar) and catalog.location.env_var_name == "SESSIONS_CATALOG"

    started = fleet.process_config_and_initialize()  # what a run does with the resource
    assert started.root == str(tmp_path / "fleet")
    assert started.dataset_folders() == [(tmp_path / "fleet").resolve()]  # no devices.yaml: the root
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "devices.yaml").write_text("datasets: [logs, ../more]\ndevices: []\n")
    assert started.dataset_folders() == [
        (tmp_path / "fleet" / "logs").resolve(),
        (tmp_path / "more").resolve(),
    ]
    with catalog.process_config_and_initialize_cm() as resolved:
        assert (resolved.location, resolved.user) == (str(tmp_path / "cat"), "scheduler")


def test_a_resource_used_outside_a_run_reads_its_env_vars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSIONS_CATALOG", str(tmp_path / "cat"))
    monkeypatch.setenv("SESSIONS_DATA", str(tmp_path))
    client = catalog_from_env().client()
    try:
        assert client.catalog.location.metadata_path == tmp_path / "cat" / "catalog.sqlite"
    finally:
        client.catalog.close()
    (tmp_path / "devices.yaml").write_text("datasets: [fleet]\ndevices: []\n")
    assert fleet_from_env().dataset_folders() == [(tmp_path / "fleet").resolve()]


def test_the_data_path_belongs_to_a_postgresql_catalog_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSIONS_DATA_PATH", "s3://lake/fleet/")
    monkeypatch.setenv("SESSIONS_CATALOG", str(tmp_path / "cat"))
    assert catalog_from_env().data_path is None  # an embedded catalog keeps its files in its folder
    monkeypatch.setenv("SESSIONS_CATALOG", "postgresql://ci@db/fleet")
    catalog = catalog_from_env()
    assert catalog.data_path == dg.EnvVar("SESSIONS_DATA_PATH")
    with catalog.process_config_and_initialize_cm() as resolved:
        assert resolved.data_path == "s3://lake/fleet/"
