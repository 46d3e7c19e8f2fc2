"""The Dagster code location loads, and its catalog resource is the library's catalog."""

from pathlib import Path

import pytest

from pipelines import defs
from pipelines.resources import CatalogResource
from sessions_lib import Session


def test_definitions_load():
    assert defs.resolve_all_asset_specs() is not None
    assert isinstance(defs.resources["catalog"], CatalogResource)


def test_catalog_resource_points_at_the_configured_catalog(tmp_path: Path):
    client = CatalogResource(location=str(tmp_path / "cat"), user="dagster", org_ids=["org_p"]).client()
    session = Session.create(name="from-dagster", roboto_client=client)
    assert session.created_by == "dagster" and session.org_id == "org_p"
    assert (tmp_path / "cat" / "catalog.sqlite").is_file()


def test_catalog_resource_defaults_to_the_ambient_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SESSIONS_CATALOG", str(tmp_path / "ambient"))
    client = CatalogResource().client()
    assert client.catalog.location.metadata_path == tmp_path / "ambient" / "catalog.sqlite"


def test_catalog_resource_takes_the_caller_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SESSIONS_USER", "scheduler")
    monkeypatch.setenv("SESSIONS_ORG_IDS", "org_fleet")
    client = CatalogResource(location=str(tmp_path / "cat")).client()
    assert (client.user, client.org_ids) == ("scheduler", ("org_fleet",))
