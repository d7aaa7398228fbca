"""Changing the e-mail address: the password, then a link to the new address."""

import re
import time

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.notifications.delivery import email_for
from lms.notifications.models import Notification
from tests.conftest import PASSWORD

CONFIRM_MAX_AGE = 48 * 3600


def ask(client, new_email: str, password: str = PASSWORD, **kwargs):
    return client.submit("/profile", {"email-new_email": new_email,
                                      "email-current_password": password}, **kwargs)


def mail(db, kind: str) -> Notification:
    return db.session.scalars(sa.select(Notification).where(Notification.kind == kind)
                              .order_by(Notification.id.desc())).first()


def link_in(notification: Notification) -> str:
    return re.search(r"https?://\S+", notification.body).group(0).split("localhost", 1)[1]


@pytest.fixture
def anna(make_user):
    return make_user(email="anna@example.org", full_name="Kovács Anna")


def test_a_new_address_needs_the_password(client, auth, db, anna):
    auth.login(anna)
    html = ask(client, "anna.k@example.org", "not my password").get_data(as_text=True)
    assert 'id="email-current_password-error"' in html and "not correct" in html
    db.session.refresh(anna)
    assert anna.pending_email is None
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_the_change_takes_effect_only_when_confirmed(app, client, auth, db, anna):
    auth.login(anna)
    asked = ask(client, "Anna.K@Example.org", follow_redirects=True).get_data(as_text=True)
    assert "We have sent a link to anna.k@example.org" in asked
    assert "Waiting for confirmation: anna.k@example.org" in asked
    db.session.refresh(anna)
    assert (anna.email, anna.pending_email) == ("anna@example.org", "anna.k@example.org")

    # The link goes to the new address; the old one is told, with a way to react.
    confirmation, notice = mail(db, "confirm_email_change"), mail(db, "email_change_notice")
    with app.test_request_context():
        assert email_for(confirmation)["To"] == "anna.k@example.org"
        assert email_for(notice)["To"] == "anna@example.org"
    assert "anna.k@example.org" in notice.body and "set a new password" in notice.body
    assert "/password/forgot" in notice.body

    # Until then the old address logs in, the new one does not.
    auth.logout()
    assert auth.login("anna.k@example.org").status_code == 200
    assert auth.login("anna@example.org").status_code == 302

    done = client.get(link_in(confirmation), follow_redirects=True).get_data(as_text=True)
    assert "Your e-mail address is now anna.k@example.org" in done
    assert "My profile" in done  # still logged in, back on the profile
    db.session.refresh(anna)
    assert (anna.email, anna.pending_email) == ("anna.k@example.org", None)
    auth.logout()
    assert auth.login("anna@example.org").status_code == 200
    assert auth.login("anna.k@example.org").status_code == 302
    # Single use.
    assert client.get(link_in(confirmation)).status_code == 404


def test_the_link_also_works_in_another_browser(app, client, auth, db, anna):
    auth.login(anna)
    ask(client, "anna.k@example.org")
    phone = app.test_client()
    response = phone.get(link_in(mail(db, "confirm_email_change")))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    db.session.refresh(anna)
    assert anna.email == "anna.k@example.org"


def test_the_change_is_in_the_audit_log(client, auth, db, anna):
    auth.login(anna)
    ask(client, "anna.k@example.org")
    client.get(link_in(mail(db, "confirm_email_change")))
    changes = [entry.changes for entry in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "User", AuditEntry.action == "update")
        .order_by(AuditEntry.id))]
    # that the address changed, by id only: the log never holds the addresses themselves
    # (they could not be erased from its hash chain; docs/privacy.md)
    assert {"pending_email": [None, "(changed)"]} in changes
    assert any(c.get("email") == ["(changed)", "(changed)"] for c in changes)
    assert "anna" not in str(changes)


@pytest.mark.parametrize("new_email, message", [
    ("anna@example.org", "already your e-mail address"),
    ("TAKEN@example.org", "already exists"),
    ("not an address", "valid e-mail address"),
])
def test_refused_addresses_say_why_next_to_the_field(client, auth, db, make_user, anna,
                                                     new_email, message):
    make_user(email="taken@example.org")
    auth.login(anna)
    html = ask(client, new_email).get_data(as_text=True)
    assert 'id="email-new_email-error"' in html and message in html
    db.session.refresh(anna)
    assert anna.pending_email is None


def test_the_link_dies_when_someone_else_takes_the_address(client, auth, db, make_user, anna):
    auth.login(anna)
    ask(client, "anna.k@example.org")
    link = link_in(mail(db, "confirm_email_change"))
    make_user(email="anna.k@example.org")
    page = client.get(link)
    assert page.status_code == 404
    # Said once, in the page's title and heading; no flash repeating it.
    assert page.get_data(as_text=True).count("This link no longer works") == 2
    db.session.refresh(anna)
    assert anna.email == "anna@example.org"


def test_only_the_latest_address_asked_for_can_be_confirmed(client, auth, db, anna):
    auth.login(anna)
    ask(client, "first@example.org")
    first = link_in(mail(db, "confirm_email_change"))
    ask(client, "second@example.org")
    assert client.get(first).status_code == 404
    assert client.get(link_in(mail(db, "confirm_email_change"))).status_code == 302
    db.session.refresh(anna)
    assert anna.email == "second@example.org"


def test_a_password_reset_drops_the_pending_change(client, auth, db, anna):
    """The owner, told by the notice, resets the password: the thief's link is dead."""
    auth.login(anna)
    ask(client, "thief@example.org")
    stolen = link_in(mail(db, "confirm_email_change"))
    auth.logout()
    client.submit("/password/forgot", {"email": "anna@example.org"})
    reset = link_in(mail(db, "password_reset"))
    client.submit(reset, {"new_password": "violet harbour lantern",
                          "confirm": "violet harbour lantern"})
    assert client.get(stolen).status_code == 404
    assert db.session.scalar(sa.select(User.pending_email).where(User.id == anna.id)) is None


class FrozenClock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.mark.parametrize("age, works", [(CONFIRM_MAX_AGE, True), (CONFIRM_MAX_AGE + 1, False)])
def test_the_link_expires(monkeypatch, client, auth, db, anna, age, works):
    clock = FrozenClock(time.time())
    monkeypatch.setattr("itsdangerous.timed.time", clock)
    auth.login(anna)
    ask(client, "anna.k@example.org")
    link = link_in(mail(db, "confirm_email_change"))
    clock.now += age
    assert client.get(link).status_code == (302 if works else 404)
    db.session.refresh(anna)
    assert anna.email == ("anna.k@example.org" if works else "anna@example.org")
