import sqlalchemy as sa

from lms import create_app
from lms.config import database_url, load_or_create_secret_key


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_503_when_the_database_is_gone(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_or_create_secret_key(tmp_path)
    assert len(first) >= 40
    assert load_or_create_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{tmp_path / 'forras.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert database_url(tmp_path) == "postgresql+psycopg://u@h/db"


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app()
    assert (tmp_path / "secret_key").exists()
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    from lms.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
        db.engine.dispose()
    assert (tmp_path / "forras.db").exists()


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is no page at this address." in response.get_data(as_text=True)


def test_every_page_has_an_icon_and_favicon_ico_answers(client):
    """Browsers fetch /favicon.ico on every site: it answers, cached, with a real icon."""
    page = client.get("/courses/").get_data(as_text=True)
    assert 'rel="icon" href="/favicon.ico"' in page and "favicon.svg" in page
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon"
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # the ICO signature
        assert "max-age=604800" in icon.headers["Cache-Control"]
    for linked in ("/static/img/favicon.svg", "/static/img/apple-touch-icon.png"):
        with client.get(linked) as response:
            assert response.status_code == 200, linked
