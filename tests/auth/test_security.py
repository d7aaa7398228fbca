"""The web baseline of ASVS level 1: passwords, throttling, reset links, headers, errors."""

import re
import uuid

import pytest
import sqlalchemy as sa

from lms import create_app
from lms.auth.models import User
from lms.auth.passwords import password_problem
from lms.extensions import db as _db
from lms.extensions import limiter
from lms.notifications.models import Notification
from tests.auth.test_routes import REGISTRATION
from tests.conftest import PASSWORD


def close_connections(other_app) -> None:
    """Close the pooled connections of an extra app, as a stopped worker would."""
    with other_app.app_context():
        _db.engine.dispose()


def reset_mails(db, email: str) -> list[Notification]:
    return list(db.session.scalars(
        sa.select(Notification).join(Notification.user)
        .where(User.email == email, Notification.kind == "password_reset")
        .order_by(Notification.id)
    ))


def path_of(body: str) -> str:
    return re.search(r"https?://\S+", body).group(0).split("localhost", 1)[1]


# ---------------------------------------------------------------- passwords

@pytest.mark.parametrize("password, reason", [
    ("short pass", "at least 12 characters"),
    ("qwertyuiop123", "too common"),
    ("Password1234!", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("erzsebet.szucs2026", "your name or e-mail"),
])
def test_guessable_passwords_are_refused_next_to_the_field(client, db, password, reason):
    data = dict(REGISTRATION, password=password, confirm=password)
    html = client.submit("/register", data).get_data(as_text=True)
    assert 'id="password-error"' in html and reason in html
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_few_unrelated_words_are_fine(app):
    with app.test_request_context():
        assert password_problem("lamp river tuesday", "anna@example.org", "Kovács Anna") is None


# ---------------------------------------------------------------- throttling
# (what an attacker cannot do with the limits: tests/auth/test_throttling.py)

REDIS_TEST_URL = "redis://127.0.0.1:6379/3"


@pytest.fixture(scope="session")
def redis_key_prefix():
    """One prefix for this run's rate-limit keys in Redis, so parallel runs (and other
    users of database 3) never share a count, and only our keys are removed after."""
    return f"forras-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_url(redis_key_prefix):
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    yield REDIS_TEST_URL
    # The limiter is one object for the process: the first prefix set stays in use.
    for prefix in {redis_key_prefix, limiter._key_prefix}:
        if prefix:
            for key in server.scan_iter(match=f"{prefix}*"):
                server.delete(key)
    server.close()


def test_with_redis_the_limit_holds_across_server_processes(app, database_url, redis_url,
                                                            redis_key_prefix, make_user):
    """Two app instances (as two gunicorn workers) share one count in Redis."""
    # Read before entering another app's context: the test's session binds to current_app.
    email = make_user().email
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY",
                                               "PASSWORD_HASH_METHOD", "SERVER_NAME")}
    workers = [create_app({**config, "TESTING": True, "WTF_CSRF_ENABLED": False,
                           "RATELIMIT_STORAGE_URI": redis_url,
                           "RATELIMIT_KEY_PREFIX": redis_key_prefix}) for _ in range(2)]
    statuses = []
    for attempt in range(6):
        worker = workers[attempt % 2]
        with worker.app_context():
            response = worker.test_client().post(
                "/login", data={"email": email, "password": "not the password"})
        statuses.append(response.status_code)
    for worker in workers:
        close_connections(worker)
    assert statuses == [200] * 5 + [429]


# ---------------------------------------------------------------- password reset

def test_reset_link_sets_a_new_password_once(client, db, make_user):
    user = make_user(email="anna@example.org")
    response = client.submit("/password/forgot", {"email": "ANNA@example.org"},
                             follow_redirects=True)
    assert "If an account uses that address" in response.get_data(as_text=True)
    (mail,) = reset_mails(db, "anna@example.org")
    link = path_of(mail.body)
    new = "violet harbour lantern"
    done = client.submit(link, {"new_password": new, "confirm": new}, follow_redirects=True)
    assert "Your new password is set" in done.get_data(as_text=True)
    assert client.submit("/login", {"email": user.email, "password": new}).status_code == 302
    client.submit("/logout", {}, page="/")
    assert client.get(link).status_code == 404  # spent
    assert client.submit("/login", {"email": user.email, "password": PASSWORD}
                         ).status_code == 200  # the old one no longer works


def test_reset_never_says_whether_an_account_exists(client, db, make_user):
    make_user(email="anna@example.org")
    known = client.submit("/password/forgot", {"email": "anna@example.org"},
                          follow_redirects=True).get_data(as_text=True)
    unknown = client.submit("/password/forgot", {"email": "nobody@example.org"},
                            follow_redirects=True).get_data(as_text=True)
    flash = re.compile(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', re.S)
    assert flash.findall(known) == flash.findall(unknown) != []
    assert len(reset_mails(db, "anna@example.org")) == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1


def test_expired_or_forged_reset_links_are_refused(app, client, db, make_user):
    make_user(email="anna@example.org")
    client.submit("/password/forgot", {"email": "anna@example.org"})
    link = path_of(reset_mails(db, "anna@example.org")[0].body)
    assert client.get(link[:-2] + "xx").status_code == 404
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    expired = client.get(link)
    assert expired.status_code == 404 and "no longer works" in expired.get_data(as_text=True)


def test_reset_refuses_a_weak_password_and_keeps_the_link(client, db, make_user):
    make_user(email="anna@example.org")
    client.submit("/password/forgot", {"email": "anna@example.org"})
    link = path_of(reset_mails(db, "anna@example.org")[0].body)
    html = client.submit(link, {"new_password": "qwertyuiop12", "confirm": "qwertyuiop12"}
                         ).get_data(as_text=True)
    assert 'id="new_password-error"' in html and "too common" in html
    assert client.get(link).status_code == 200


# ---------------------------------------------------------------- headers and cookies

def test_every_page_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


def test_the_session_cookie_is_http_only_and_same_site(client, make_user):
    user = make_user()
    response = client.submit("/login", {"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_behind_https_cookies_are_secure_and_hsts_is_sent(app, database_url):
    https = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x",
                        "HTTPS": True, "SERVER_NAME": "localhost"})
    assert https.config["SESSION_COOKIE_SECURE"] and https.config["REMEMBER_COOKIE_SECURE"]
    with https.app_context():
        response = https.test_client().get("/healthz")
    close_connections(https)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# ---------------------------------------------------------------- errors

def test_no_pages_templates_use_inline_script_or_style(app):
    """The CSP forbids them; a template that used one would break in the browser."""
    from pathlib import Path

    root = Path(app.template_folder)
    offenders = [
        str(path.relative_to(root)) for path in root.rglob("*.html")
        if path.parts[-2] not in ("pdf", "certificates") or path.name in (
            "run.html", "verify.html", "verify_form.html", "verify_not_found.html")
        if re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=\"|\son[a-z]+=", path.read_text())
    ]
    assert offenders == []


@pytest.fixture
def unreachable_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'forras.db'}"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                       "SERVER_NAME": "localhost"})


def test_an_unreachable_database_gives_503_and_a_friendly_page(unreachable_app):
    with unreachable_app.app_context():
        client = unreachable_app.test_client()
        health = client.get("/healthz")
        page = client.get("/", headers={"Accept-Language": "hu"})
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    assert 'lang="hu"' in html and "Traceback" not in html and "sqlite" not in html.lower()


def test_oversized_requests_are_refused_politely(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "a@b.cd", "password": "x" * 5000})
    assert response.status_code == 413
    assert "larger than Forrás accepts" in response.get_data(as_text=True)
