"""Outages: every visitor gets the friendly 503 page, and /healthz names the cause."""

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from lms import create_app
from lms.extensions import db

UNREACHABLE = {
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
}


@pytest.fixture
def app_like(app):
    """Makes other apps with the test app's secret key (so its session cookie works);
    closes their database connections afterwards."""
    made = []

    def make(**config):
        other = create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                            "SERVER_NAME": app.config["SERVER_NAME"], **config})
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("page", ["/", "/my/", "/manage/runs/", "/profile"])
def test_a_logged_in_user_gets_the_friendly_page_when_the_database_is_gone(
        app_like, client, auth, make_user, page):
    admin = make_user(role="admin")
    auth.login(admin)
    down = app_like(**UNREACHABLE).test_client()
    down.set_cookie("session", client.get_cookie("session").value)
    response = down.get(page)
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "60"


def test_the_friendly_page_keeps_the_visitors_language(app_like):
    down = app_like(**UNREACHABLE).test_client()
    response = down.get("/", headers={"Accept-Language": "hu"})
    assert response.status_code == 503
    assert 'lang="hu"' in response.get_data(as_text=True)


def test_healthz_names_an_unreachable_database(app_like):
    response = app_like(**UNREACHABLE).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["cause"] == "database"


def test_an_unmigrated_database_is_a_503_until_migrated_without_a_restart(app_like, tmp_path):
    empty = app_like(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    client = empty.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["cause"] == "schema"
    for page in ("/", "/verify/ABC", "/courses/X"):
        response = client.get(page)
        assert response.status_code == 503, page
        assert "Temporarily unavailable" in response.get_data(as_text=True)
    with empty.app_context():
        upgrade()
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    assert client.get("/").status_code == 200


def test_healthz_names_redis_when_limits_are_kept_there_and_it_is_gone(app, app_like):
    response = app_like(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["cause"] == "redis"
    assert response.get_json()["database"] == "ok"


def test_healthz_pings_a_redis_that_answers(app, app_like):
    response = app_like(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0").test_client().get("/healthz")
    assert response.status_code == 200, response.get_json()


def test_a_migrated_schema_is_read_once_not_on_every_check(client, query_counter):
    assert client.get("/healthz").status_code == 200
    with query_counter() as statements:
        assert client.get("/healthz").status_code == 200
    assert not [s for s in statements if "alembic_version" in s]


def test_an_unmigrated_postgresql_database_is_a_503(app, app_like, database_url):
    """PostgreSQL names a missing table with UndefinedTable (a ProgrammingError)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS unmigrated"))
    try:
        empty = app_like(SQLALCHEMY_DATABASE_URI=database_url, SQLALCHEMY_ENGINE_OPTIONS={
            "connect_args": {"options": "-c search_path=unmigrated"}})
        client = empty.test_client()
        assert client.get("/healthz").get_json()["cause"] == "schema"
        response = client.get("/")
        assert response.status_code == 503
        assert "Temporarily unavailable" in response.get_data(as_text=True)
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA unmigrated CASCADE"))
