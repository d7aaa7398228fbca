"""Absolute links come from PUBLIC_BASE_URL only; hosts and proxies are believed only as told."""

import re

import pytest
import sqlalchemy as sa
from flask import request

from lms import create_app
from lms.auth.models import User
from lms.certificates.services import verification_url
from lms.extensions import db as _db
from lms.notifications.models import Notification
from lms.urls import public_url
from tests.conftest import Client, _test_config

PUBLIC = "https://forras.example.org"


@pytest.fixture
def make_app(database_url):
    made = []

    def make(**config):
        app = create_app({**_test_config(database_url), "PUBLIC_BASE_URL": PUBLIC, **config})
        app.test_client_class = Client
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            _db.engine.dispose()


def reset_link(db, email: str) -> str:
    body = db.session.scalar(
        sa.select(Notification.body).join(Notification.user)
        .where(User.email == email, Notification.kind == "password_reset"))
    return re.search(r"https?://\S+", body).group(0)


@pytest.mark.parametrize("headers, config", [
    ({"Host": "evil.example"}, {"TRUSTED_HOSTS": ["*"]}),
    ({"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}, {"PROXY_COUNT": 1}),
], ids=["Host", "X-Forwarded-Host"])
def test_reset_link_is_on_the_public_address_whatever_the_request_says(
        db, make_app, make_user, headers, config):
    user = make_user(email=f"victim.{len(headers)}@example.org")
    # No CSRF here: the session cookie of "localhost" is not sent to another Host.
    app = make_app(WTF_CSRF_ENABLED=False, **config)
    response = app.test_client().post("/password/forgot", data={"email": user.email},
                                      headers=headers)
    assert response.status_code == 302
    link = reset_link(db, user.email)
    assert link.startswith(f"{PUBLIC}/password/reset/")
    assert "evil" not in link


def test_a_host_not_trusted_gets_400(make_app):
    client = make_app().test_client()
    refused = client.get("/healthz", headers={"Host": "evil.example", "Accept-Language": "hu"})
    assert refused.status_code == 400
    assert "Ez az oldal nem válaszol erre a gépnévre." in refused.get_data(as_text=True)
    # By default: the public address's host, and this machine for local checks.
    for host in ("forras.example.org", "localhost", "127.0.0.1:5000"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host


def test_trusted_hosts_can_be_listed(make_app):
    client = make_app(TRUSTED_HOSTS=[".forras.example.org"]).test_client()
    assert client.get("/healthz", headers={"Host": "szolnok.forras.example.org"}).status_code \
        == 200
    assert client.get("/healthz", headers={"Host": "localhost"}).status_code == 400


@pytest.mark.parametrize("proxies, address, scheme", [
    (0, "10.0.0.1", "http"),  # no proxy: X-Forwarded-* are anybody's words
    (1, "203.0.113.7", "https"),  # one proxy: its word on the client and scheme counts
])
def test_proxy_count_decides_whose_forwarded_address_is_believed(make_app, proxies, address,
                                                                 scheme):
    app = make_app(PROXY_COUNT=proxies)
    seen = []
    app.before_request(lambda: seen.append((request.remote_addr, request.scheme, request.host)))
    response = app.test_client().get(
        "/healthz", environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200
    assert seen == [(address, scheme, "localhost")]  # X-Forwarded-Host: never


def test_certificate_verification_address_ignores_the_request(make_app):
    app = make_app()
    with app.test_request_context("/", base_url="http://evil.example"):
        assert verification_url("ABCD1234") == f"{PUBLIC}/v/ABCD1234"


def test_public_url_keeps_a_path_prefix(make_app):
    app = make_app(PUBLIC_BASE_URL="https://example.org/forras/")
    with app.app_context():
        assert public_url("auth.forgot_password") == "https://example.org/forras/password/forgot"
