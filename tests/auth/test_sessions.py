"""Server-side sessions: logging out, changing or resetting the password, deactivation."""

import sqlalchemy as sa

from lms.auth.models import UserSession
from lms.auth.services import set_role_and_status
from tests.auth.test_routes import emailed_link
from tests.conftest import PASSWORD

NEW_PASSWORD = "violet harbour lantern"


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """Another browser holding a saved copy of a session cookie opens /my/."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/my/")


def test_a_saved_session_cookie_opens_nothing_after_logout(app, client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    saved = session_cookie(client)
    assert replay(app, saved).status_code == 200  # the copy works while logged in
    auth.logout()
    response = replay(app, saved)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    (record,) = db.session.scalars(sa.select(UserSession))
    assert record.user_id == user.id and record.end_reason == "logout"
    assert record.ended_at is not None and record.address == "127.0.0.1"


def test_logout_ends_only_that_session(app, client, auth, make_user):
    user = make_user()
    auth.login(user)
    laptop = app.test_client()
    laptop.submit("/login", {"email": user.email, "password": PASSWORD})
    auth.logout()
    assert laptop.get("/my/").status_code == 200


def test_a_password_change_logs_out_every_other_session(app, client, auth, make_user):
    user = make_user()
    other = make_user()
    auth.login(user)
    laptop = app.test_client()
    laptop.submit("/login", {"email": user.email, "password": PASSWORD})
    someone_else = app.test_client()
    someone_else.submit("/login", {"email": other.email, "password": PASSWORD})
    changed = client.submit("/profile", {
        "password-current_password": PASSWORD,
        "password-new_password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD,
    }, follow_redirects=True)
    assert "Every other session of your account is logged out" in changed.get_data(as_text=True)
    assert client.get("/my/").status_code == 200  # the one making the change stays
    assert laptop.get("/my/").status_code == 302
    assert someone_else.get("/my/").status_code == 200  # other accounts are untouched


def test_a_refused_password_change_logs_nobody_out(app, client, auth, make_user):
    user = make_user()
    auth.login(user)
    laptop = app.test_client()
    laptop.submit("/login", {"email": user.email, "password": PASSWORD})
    client.submit("/profile", {
        "password-current_password": "not my password",
        "password-new_password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD,
    })
    assert laptop.get("/my/").status_code == 200


def test_a_password_reset_logs_out_every_session(app, client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    thief = app.test_client()
    thief.submit("/login", {"email": user.email, "password": PASSWORD})
    client.submit("/password/forgot", {"email": user.email})
    link = emailed_link(db, user.email, "password_reset").split("localhost", 1)[1]
    done = client.submit(link, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                         follow_redirects=True)
    assert "Your new password is set" in done.get_data(as_text=True)
    assert thief.get("/my/").status_code == 302
    assert client.get("/my/").status_code == 302  # the one resetting too: log in anew
    ended = db.session.scalars(sa.select(UserSession.end_reason)).all()
    assert ended == ["password-reset", "password-reset"]
    assert auth.login(user, NEW_PASSWORD).status_code == 302


def test_a_deactivated_user_is_logged_out_on_their_next_request(client, auth, db, make_user):
    user = make_user()
    admin = make_user(role="admin")
    auth.login(user)
    assert client.get("/my/").status_code == 200
    set_role_and_status(user, user.role, False, admin)
    db.session.commit()
    response = client.get("/my/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(UserSession.end_reason)) == "deactivated"


def test_deactivation_by_any_path_locks_the_session(client, auth, db, make_user):
    """Even a change that bypasses the service (a SQL fix) is seen on the next request."""
    user = make_user()
    auth.login(user)
    user.active = False
    db.session.commit()
    assert client.get("/my/").status_code == 302


def test_a_forged_remember_cookie_or_stale_user_id_opens_nothing(app, client, auth, make_user):
    user = make_user()
    auth.login(user)
    auth.logout()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)  # what a cookie-only session would trust
    assert client.get("/my/").status_code == 302
    assert client.get_cookie("remember_token") is None  # never issued
