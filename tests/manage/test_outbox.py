"""The Outbox page: administrators see what was mailed, what waits and what fails, and resend."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lms.auth.messages import send_password_reset
from lms.enrolment.services import enrol
from lms.notifications.models import Notification, OutboxState

NOW = datetime.now(UTC)


@pytest.fixture
def outbox(db, make_user, make_centre, make_run):
    """News about a run in each of two centres, and one about an account (no centre)."""
    home, away = make_centre(city="Razgrad"), make_centre(city="Debrecen")
    enrol(make_user(email="home.trainee@example.org"), make_run(centre=home), NOW)
    enrol(make_user(email="away.trainee@example.org"), make_run(centre=away), NOW)
    send_password_reset(make_user(email="account.owner@example.org"))
    db.session.commit()
    messages = {n.user.email.split(".")[0]: n for n in db.session.scalars(sa.select(Notification))}
    messages["home"].state = OutboxState.FAILING
    messages["home"].attempts = 3
    messages["home"].last_error = "SMTPServerDisconnected: timed out"
    messages["away"].state = OutboxState.FAILING
    messages["account"].state = OutboxState.NO_SERVER
    scoped = make_user(role="admin", email="scoped@example.org")
    scoped.centre_id = home.id
    network = make_user(role="admin", email="network@example.org")
    db.session.commit()
    return {
        "scoped": scoped,
        "network": network,
        "ids": {name: message.id for name, message in messages.items()},
    }


def state_of(db, notification_id: int) -> OutboxState:
    db.session.expire_all()
    return db.session.get(Notification, notification_id).state


def test_network_admin_sees_every_message_with_its_state(client, auth, outbox):
    auth.login(outbox["network"])
    html = client.get("/manage/outbox").get_data(as_text=True)
    for email in ("home.trainee@", "away.trainee@", "account.owner@"):
        assert email in html
    assert "not sent: no mail server" in html and "failing" in html
    assert "SMTPServerDisconnected: timed out" in html
    assert 'href="/manage/outbox"' in client.get("/manage/").get_data(as_text=True)

    failing = client.get("/manage/outbox?state=failing").get_data(as_text=True)
    assert "home.trainee@" in failing and "away.trainee@" in failing
    assert "account.owner@" not in failing


def test_scoped_admin_sees_and_resends_only_their_centres_messages(client, auth, db, outbox):
    ids = outbox["ids"]
    auth.login(outbox["scoped"])
    html = client.get("/manage/outbox").get_data(as_text=True)
    assert "home.trainee@" in html
    assert "away.trainee@" not in html and "account.owner@" not in html
    for other in ("away", "account"):  # another centre's news; an account's mail
        response = client.submit(f"/manage/outbox/{ids[other]}/resend", page="/manage/outbox")
        assert response.status_code == 404
    assert state_of(db, ids["away"]) == OutboxState.FAILING
    assert state_of(db, ids["account"]) == OutboxState.NO_SERVER

    done = client.submit(
        f"/manage/outbox/{ids['home']}/resend", page="/manage/outbox", follow_redirects=True
    )
    assert "will be sent again" in done.get_data(as_text=True)
    assert state_of(db, ids["home"]) == OutboxState.WAITING


def test_resend_all_failing_stays_within_the_admins_centre(client, auth, db, outbox):
    ids = outbox["ids"]
    auth.login(outbox["scoped"])
    assert 'href="/manage/outbox/resend-failing"' in client.get("/manage/outbox").get_data(
        as_text=True)
    # First the count, within the centre; looking changes nothing.
    confirm = client.get("/manage/outbox/resend-failing").get_data(as_text=True)
    assert "1 message is sent again on the mail worker&#39;s next pass." in confirm
    assert state_of(db, ids["home"]) == OutboxState.FAILING
    done = client.submit(
        "/manage/outbox/resend-failing", page="/manage/outbox/resend-failing",
        follow_redirects=True
    )
    assert "1 message will be sent again on the mail worker&#39;s next pass." in done.get_data(
        as_text=True)
    assert "No message is failing or unsent." in client.get(
        "/manage/outbox/resend-failing").get_data(as_text=True)
    assert state_of(db, ids["home"]) == OutboxState.WAITING
    assert state_of(db, ids["away"]) == OutboxState.FAILING
    assert state_of(db, ids["account"]) == OutboxState.NO_SERVER

    auth.logout()
    auth.login(outbox["network"])
    client.submit("/manage/outbox/resend-failing", page="/manage/outbox")
    assert state_of(db, ids["away"]) == OutboxState.WAITING
    assert state_of(db, ids["account"]) == OutboxState.WAITING


def add_messages(db, user, first: int, count: int) -> None:
    db.session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": user.id,
                "kind": "test",
                "subject": f"Message {first + n:03d}",
                "body": "",
                "state": OutboxState.WAITING,
                "attempts": 0,
                "last_error": "",
                "created_at": NOW,
                "next_attempt_at": NOW,
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def test_pages_are_keyset_paged_with_a_constant_number_of_queries(
    client, auth, db, make_user, query_counter
):
    admin, trainee = make_user(role="admin"), make_user()
    auth.login(admin)
    add_messages(db, trainee, 0, 3)
    with query_counter() as few:
        client.get("/manage/outbox")
    add_messages(db, trainee, 3, 117)
    with query_counter() as many:
        first = client.get("/manage/outbox").get_data(as_text=True)
    assert len(many) == len(few)
    assert "Message 119" in first and "Message 070" in first and "Message 069" not in first
    older = re.search(r'href="(/manage/outbox\?after=[\w-]+)" rel="next">Older', first).group(1)
    second = client.get(older).get_data(as_text=True)
    assert "Message 069" in second and "Message 020" in second
    assert "Message 070" not in second and "Message 019" not in second


def test_outbox_page_is_for_administrators(client, auth, make_user):
    auth.login(make_user(role="trainer"))
    assert client.get("/manage/outbox").status_code == 403


def test_the_no_mail_server_note_is_in_the_readers_language(client, auth, outbox):
    auth.login(outbox["network"])
    html = client.get("/manage/outbox", headers={"Accept-Language": "hu"}).get_data(as_text=True)
    assert "Nincs beállítva levelezőszerver (MAIL_SERVER)" in html
    assert "MAIL_SERVER is not set" not in html and "No mail server is set" not in html
    # An SMTP server's own error text is shown as the server wrote it.
    assert "SMTPServerDisconnected: timed out" in html


def test_resends_and_deliveries_are_in_the_audit_log_without_the_body(client, auth, db, outbox):
    from lms.audit.models import AuditEntry
    from lms.notifications.delivery import deliver_outbox

    ids, network = outbox["ids"], outbox["network"]
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    auth.login(network)
    client.submit(f"/manage/outbox/{ids['home']}/resend", page="/manage/outbox")
    client.submit("/manage/outbox/resend-failing", page="/manage/outbox")
    deliver_outbox()  # no MAIL_SERVER here: printed, "not sent: no mail server"

    def entries(name):
        return db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.entity == "Notification",
                AuditEntry.entity_id == ids[name],
                AuditEntry.id > before,
            )
            .order_by(AuditEntry.id)
        ).all()

    home = entries("home")
    assert [e.changes["state"] for e in home] == [["failing", "waiting"], ["waiting", "no_server"]]
    assert home[0].actor_id == network.id and home[1].actor_id is None
    assert [e.actor_id for e in entries("away")][:1] == [network.id]
    assert all(set(e.changes) == {"state"} for e in home)
    page = client.get(f"/manage/audit?entity=Notification&id={ids['home']}")
    assert page.status_code == 200 and network.email in page.get_data(as_text=True)
