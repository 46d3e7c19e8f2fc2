"""One setting switches backends: a folder (SQLite + local files) or PostgreSQL + an S3 data path."""

import pytest

from sessions_lib import CatalogError, CatalogLocation, Client, InvalidRequestError, Session
from sessions_lib.catalog.location import DATA_PATH_ENV_VAR

PG = "postgresql://ana:s3cret@db.example:5432/fleet"


def test_a_folder_is_an_embedded_catalog(tmp_path):
    location = CatalogLocation.from_setting(tmp_path / "fleet")
    assert (location.on_postgres, location.on_object_store) == (False, False)
    assert location.metadata_path == tmp_path / "fleet" / "catalog.sqlite"
    assert location.extensions() == ("sqlite_scanner", "ducklake")
    assert location.setup_sql() == []


def test_a_folder_attaches_its_own_data_folder_where_it_is_now(tmp_path):
    """DuckLake keeps the data path the catalog was created with; the folder's own overrides it."""
    location = CatalogLocation.from_setting(tmp_path / "fleet")
    assert location.data_in_folder
    assert f"(DATA_PATH '{tmp_path}/fleet/data/', OVERRIDE_DATA_PATH true," in location.attach_sql("lake")
    elsewhere = CatalogLocation.from_setting(tmp_path / "fleet", data_path=tmp_path / "files")
    assert not elsewhere.data_in_folder
    assert "OVERRIDE_DATA_PATH" not in elsewhere.attach_sql("lake")
    assert not CatalogLocation.from_setting(PG, data_path=tmp_path / "fleet" / "data").data_in_folder


def test_a_data_path_given_for_a_folder_is_still_checked_against_the_stored_one(tmp_path):
    """Only the folder's own data/ is overridden: another data path than the stored one is refused."""
    created = Client(tmp_path / "fleet", data_path=tmp_path / "files")
    Session.create(name="flight-1", roboto_client=created)
    created.catalog.close()
    with pytest.raises(CatalogError, match="does not match existing data path"):
        Client(tmp_path / "fleet", data_path=tmp_path / "other").catalog.connection()


def test_a_postgres_url_takes_its_data_path_from_the_argument_or_the_environment(monkeypatch):
    monkeypatch.setenv(DATA_PATH_ENV_VAR, "s3://lake/from-env")
    assert CatalogLocation.from_setting(PG).data_path == "s3://lake/from-env/"
    location = CatalogLocation.from_setting(PG, data_path="s3://lake/given/")
    assert (location.on_postgres, location.on_object_store, location.data_path) == (
        True,
        True,
        "s3://lake/given/",
    )
    assert location.extensions() == ("postgres_scanner", "httpfs", "ducklake")
    assert (
        location.attach_sql("lake")
        == f"ATTACH 'ducklake:postgres:{PG}' AS lake (DATA_PATH 's3://lake/given/')"
    )


def test_a_postgres_url_without_a_data_path_is_refused_without_its_password(monkeypatch):
    monkeypatch.delenv(DATA_PATH_ENV_VAR, raising=False)
    with pytest.raises(InvalidRequestError, match=DATA_PATH_ENV_VAR) as refused:
        CatalogLocation.from_setting(PG)
    assert "s3cret" not in str(refused.value)
    assert "s3cret" not in str(CatalogLocation.from_setting(PG, data_path="/shared/lake"))


def test_the_s3_secret_comes_from_the_aws_variables():
    location = CatalogLocation.from_setting(PG, data_path="s3://lake/x")
    environ = {
        "AWS_ACCESS_KEY_ID": "AKIA",
        "AWS_SECRET_ACCESS_KEY": "it's secret",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    (statement,) = location.setup_sql(environ)
    assert statement == (
        "CREATE OR REPLACE SECRET sessions_s3 (TYPE s3, KEY_ID 'AKIA', SECRET 'it''s secret', "
        "REGION 'eu-west-1', ENDPOINT '127.0.0.1:9000', URL_STYLE 'path', USE_SSL false)"
    )
    # On AWS itself: no endpoint, virtual-host URLs, TLS (DuckDB's defaults).
    (statement,) = location.setup_sql({"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "x"})
    assert "ENDPOINT" not in statement and "USE_SSL" not in statement


@pytest.mark.postgres
def test_postgres_and_s3_hold_the_catalog(catalog_services, monkeypatch):
    """The same API on the shared backend: written by one client, read by another, files in S3."""
    setting = catalog_services.database_url("postgres")
    data_path = f"s3://sessions-tests/location-{id(monkeypatch)}/"
    writer = Client(setting, data_path=data_path, user="ana", org_ids=["org_a"])
    session = Session.create(name="flight-1", roboto_client=writer)
    writer.catalog.compact()  # the inlined rows become Parquet files under the S3 prefix
    reader = Client(setting, data_path=data_path, user="ben", org_ids=["org_a"])
    assert Session.from_id(session.session_id, roboto_client=reader).name == "flight-1"
    assert reader.catalog.size_bytes() > 0
    files = reader.catalog.read(
        lambda tx: tx.scalar("SELECT count(*) FROM glob($glob)", glob=f"{data_path}**/*.parquet")
    )
    assert files > 0
    writer.catalog.close()
    reader.catalog.close()
