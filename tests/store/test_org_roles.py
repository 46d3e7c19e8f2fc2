"""The team catalog's wall between orgs is PostgreSQL's own: each org a DuckLake catalog in a
database only its role may connect to (the README's threat model), tested with real roles on the
test server. The library's SQL surface then cannot cross it even in admin mode."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from sessions_lib import CatalogError, Client, Session, connect
from tests import services

pytestmark = pytest.mark.postgres


def org_catalog(running: services.Services, org: str) -> str:
    """A role of its own for ``org``, owning a database of the same name that no other role may
    connect to."""
    name = f"{org}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(running.postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {name} LOGIN")
        admin.execute(f"CREATE DATABASE {name} OWNER {name}")
        admin.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {name} FROM PUBLIC")
    return name


def as_role(running: services.Services, role: str, database: str, org: str) -> Client:
    """A caller logged in to PostgreSQL as ``role``, on the catalog in ``database``."""
    url = f"postgresql://{role}@127.0.0.1:{running.postgres_port}/{database}"
    return Client(url, data_path=f"s3://{services.BUCKET}/{database}/", org_ids=[org])


def test_an_orgs_role_reaches_its_own_catalog_and_no_other(catalog_services, monkeypatch):
    for variable, value in catalog_services.environment.items():
        monkeypatch.setenv(variable, value)
    role_a, role_b = org_catalog(catalog_services, "org_a"), org_catalog(catalog_services, "org_b")
    as_a = as_role(catalog_services, role_a, role_a, "org_a")
    as_b = as_role(catalog_services, role_b, role_b, "org_b")
    Session.create("alpha-flight", roboto_client=as_a)
    Session.create("bravo-flight", roboto_client=as_b)

    # Org A's role, pointed at org B's catalog: PostgreSQL refuses the connection itself.
    a_at_b = as_role(catalog_services, role_a, role_b, "org_b")
    with pytest.raises(CatalogError, match="permission denied for database"):
        next(Session.for_org(roboto_client=a_at_b))

    # Whatever org A's caller asks for, admin mode included, it reads only its own catalog.
    for admin in (False, True):
        con = connect(roboto_client=as_a, admin=admin)
        assert con.sql("SELECT name FROM sessions").fetchall() == [("alpha-flight",)]
        con.close()
    url_a = f"postgresql://{role_a}@127.0.0.1:{catalog_services.postgres_port}/{role_a}"
    with psycopg.connect(url_a) as direct:
        databases = direct.execute(
            "SELECT datname FROM pg_database WHERE has_database_privilege(datname, 'CONNECT')"
        ).fetchall()
    assert role_b not in {name for (name,) in databases}
    as_a.catalog.close()
    as_b.catalog.close()
