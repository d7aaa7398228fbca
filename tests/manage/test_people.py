"""People: unconfirmed accounts are shown as such; an administrator confirms or re-invites."""

import re

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.notifications.models import Notification


def confirmation_links(db, user) -> list[str]:
    bodies = db.session.scalars(
        sa.select(Notification.body)
        .where(Notification.user_id == user.id, Notification.kind == "confirm_email")
        .order_by(Notification.id))
    return [re.search(r"https?://\S+", body).group(0) for body in bodies]


def row_of(html: str, email: str) -> str:
    return next(row for row in html.split("<tbody>", 1)[1].split("<tr>") if email in row)


def audited(db, user, field: str, actor) -> bool:
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "User", AuditEntry.entity_id == user.id,
        AuditEntry.actor_id == actor.id))
    return any(field in entry.changes for entry in entries)


def test_unconfirmed_account_shows_as_unconfirmed_and_is_confirmed_by_an_admin(
        client, auth, db, make_user):
    admin = make_user(role="admin")
    newcomer = make_user(email="newcomer@example.org", confirmed=False)
    auth.login(admin)
    row = row_of(client.get("/manage/users/").get_data(as_text=True), "newcomer@example.org")
    assert "Unconfirmed" in row and "Active" not in row

    done = client.submit(f"/manage/users/{newcomer.id}/confirm", page="/manage/users/",
                         follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "is confirmed; they can log in" in html
    assert "Active" in row_of(html, "newcomer@example.org")
    db.session.expire_all()
    assert db.session.get(User, newcomer.id).email_confirmed_at is not None
    assert audited(db, newcomer, "email_confirmed_at", admin)

    auth.logout()
    assert auth.login(newcomer).status_code == 302  # logged in


def test_reinvite_sends_a_new_link_that_confirms(client, auth, db, make_user):
    admin = make_user(role="admin")
    newcomer = make_user(email="lost.link@example.org", confirmed=False)
    auth.login(admin)
    done = client.submit(f"/manage/users/{newcomer.id}/reinvite", page="/manage/users/",
                         follow_redirects=True)
    assert "A new confirmation link is on its way to lost.link@example.org" in \
        done.get_data(as_text=True)
    assert "link sent" in row_of(done.get_data(as_text=True), "lost.link@example.org")
    assert audited(db, newcomer, "confirmation_sent_at", admin)
    [link] = confirmation_links(db, newcomer)
    assert link.startswith("http://localhost/register/confirm/")  # PUBLIC_BASE_URL in tests

    auth.logout()
    client.get(link.removeprefix("http://localhost"))
    db.session.expire_all()
    assert db.session.get(User, newcomer.id).email_confirmed_at is not None


def test_a_confirmed_account_is_not_reinvited(client, auth, db, make_user):
    admin = make_user(role="admin")
    confirmed = make_user(email="known@example.org")
    auth.login(admin)
    done = client.submit(f"/manage/users/{confirmed.id}/reinvite", page="/manage/users/",
                         follow_redirects=True)
    assert "already confirmed" in done.get_data(as_text=True)
    assert confirmation_links(db, confirmed) == []
