"""Logins, failed logins, exports of personal data and downloads of evidence are in
the audit log as events: who, when, what was taken; never a password."""

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from tests.conftest import PASSWORD


def events(db, name: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "event", AuditEntry.event == name)
        .order_by(AuditEntry.seq)))


def test_a_login_and_a_logout_are_logged(client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    (login,) = events(db, "login")
    # by id only: no e-mail, no address from which (that stays in the erasable session row)
    assert (login.actor_id, login.entity, login.entity_id, login.label) == (
        user.id, "User", user.id, "")
    assert login.changes == {} and login.seq is not None
    auth.logout()
    (logout,) = events(db, "logout")
    assert (logout.actor_id, logout.entity_id) == (user.id, user.id)


def test_a_failed_login_is_logged_without_the_password(client, auth, db, make_user):
    user = make_user()
    typed = "hunter2 is not it"
    html = auth.login(user, password=typed).get_data(as_text=True)
    assert "not correct" in html
    auth.login("nobody@example.org", password=typed)
    known, unknown = events(db, "login_failed")
    assert (known.entity_id, known.label, known.actor_id) == (user.id, "", None)
    # an address with no account: a keyed digest that groups the tries, not the address
    assert unknown.entity_id is None and unknown.label.startswith("hmac:")
    auth.login("NOBODY@example.org", password=typed)
    assert events(db, "login_failed")[-1].label == unknown.label
    assert "nobody" not in str([(e.label, e.changes) for e in events(db, "login_failed")])
    everything = str([(e.label, e.changes, e.reason) for e in events(db, "login_failed")])
    assert typed not in everything and PASSWORD not in everything
    assert events(db, "login") == []


def test_exports_of_personal_data_are_logged(client, auth, db, make_user, make_run):
    admin = make_user(role="admin")
    run = make_run()
    auth.login(admin)
    for url in (f"/manage/runs/{run.id}/roster.csv", f"/runs/{run.id}/register.csv",
                f"/runs/{run.id}/register.xlsx", "/manage/audit.csv?entity=Run"):
        assert client.get(url).status_code == 200, url
    exported = events(db, "export")
    assert [(e.entity, e.entity_id, e.actor_id) for e in exported] == [
        ("Run", run.id, admin.id)] * 3 + [("", None, admin.id)]
    assert [e.label for e in exported] == [
        f"roster-{run.course.code}-{run.id}.csv", f"register-{run.course.code}-{run.id}.csv",
        f"register-{run.course.code}-{run.id}.xlsx", "forras-audit-log.csv"]
    assert exported[-1].changes == {"entity": [None, "Run"]}  # the filters it was taken with


def test_downloads_of_evidence_are_logged(client, auth, db, certificate_world):
    ids, admin = certificate_world["ids"], certificate_world["users"]["admin"]
    auth.login(admin)
    run_id = ids["closed_run_id"]
    from lms.courses.models import Run

    session_id = db.session.get(Run, run_id).sessions[0].id
    for url in (f"/certificates/{ids['certificate_id']}.pdf",
                f"/manage/runs/{run_id}/certificates.pdf",
                f"/sessions/{session_id}/sign-in-sheet.pdf"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", url
    downloaded = events(db, "download")
    assert [(e.entity, e.entity_id, e.actor_id) for e in downloaded] == [
        ("Certificate", ids["certificate_id"], admin.id), ("Run", run_id, admin.id),
        ("Session", session_id, admin.id)]


def test_events_show_on_the_audit_page(client, auth, db, make_user):
    admin = make_user(role="admin")
    auth.login(admin)
    html = client.get("/manage/audit").get_data(as_text=True)
    assert "logged in" in html and admin.email in html
