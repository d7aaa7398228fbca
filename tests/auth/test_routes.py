import re

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.config import Config
from lms.notifications.models import Notification
from tests.conftest import PASSWORD

REGISTRATION = {
    "full_name": "Szűcs Erzsébet",
    "email": "Erzsebet.Szucs@Example.org",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "organisation": "Család- és Gyermekjóléti Központ",
    "job_title": "családsegítő",
    "county": "Békés",
    "settlement": "Gyula",
    "phone": "",
}


def user_count(db):
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def emailed_link(db, user_email: str, kind: str) -> str:
    notification = db.session.scalars(
        sa.select(Notification).join(Notification.user)
        .where(User.email == user_email, Notification.kind == kind)
        .order_by(Notification.id.desc())
    ).first()
    assert notification is not None, f"no {kind} e-mail to {user_email}"
    return re.search(r"https?://\S+", notification.body).group(0)


def test_registration_confirms_the_address_then_logs_in(client, db):
    response = client.submit("/register", REGISTRATION, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Check your inbox" in html and "Log out" not in html
    # where the e-mail went and how long its link works
    assert ("We have sent an e-mail to erzsebet.szucs@example.org. Open the link in it within "
            "48 hours") in html
    user = db.session.scalar(sa.select(User))
    assert user.email == "erzsebet.szucs@example.org"
    assert user.role == Role.TRAINEE and user.email_confirmed_at is None
    assert (user.organisation, user.county, user.settlement) == (
        "Család- és Gyermekjóléti Központ",
        "Békés",
        "Gyula",
    )
    assert user.password_hash.startswith("pbkdf2:") and PASSWORD not in user.password_hash
    # Not confirmed yet: the right password does not log in, but sends a new link.
    login = client.submit("/login", {"email": REGISTRATION["email"], "password": PASSWORD})
    assert "confirm your e-mail address first" in login.get_data(as_text=True)
    link = emailed_link(db, "erzsebet.szucs@example.org", "confirm_email")
    html = client.get(link.split("localhost", 1)[1], follow_redirects=True).get_data(as_text=True)
    assert "Welcome, Szűcs Erzsébet!" in html and "Log out" in html
    # The link works once.
    client.submit("/logout", {}, page="/")
    assert client.get(link.split("localhost", 1)[1]).status_code == 404


def test_registering_a_taken_address_looks_the_same_and_tells_the_owner(client, db, make_user):
    fresh = client.submit("/register", dict(REGISTRATION, email="new.person@example.org"))
    make_user(email="erzsebet.szucs@example.org", full_name="Szűcs Erzsébet")
    taken = client.submit("/register", REGISTRATION)
    assert (fresh.status_code, fresh.location) == (taken.status_code, taken.location)
    assert taken.location.endswith("/register/check-your-inbox")
    assert user_count(db) == 2
    link = emailed_link(db, "erzsebet.szucs@example.org", "account_exists")
    assert "/login" in link


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("password", "short", "at least 12 characters"),
        ("email", "not-an-email", "valid e-mail address"),
        ("full_name", "", "Enter your full name."),
        ("confirm", "something else entirely", "do not match"),
    ],
)
def test_bad_registration_says_why_next_to_the_field(client, db, field, value, message):
    data = dict(REGISTRATION, **{field: value})
    html = client.submit("/register", data).get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert f'href="#{field}"' in summary and message in summary
    assert user_count(db) == 0


def test_login_with_wrong_password_is_refused(client, make_user):
    user = make_user()
    html = client.submit("/login", {"email": user.email, "password": "wrong password!"}).get_data(
        as_text=True
    )
    assert "not correct" in html
    assert "Log out" not in html


def test_login_is_case_insensitive_and_lands_on_catalogue(client, auth, make_user):
    make_user(email="anna@example.org")
    response = auth.login("ANNA@Example.org")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")


def test_deactivated_user_cannot_log_in(client, auth, db, make_user):
    user = make_user()
    user.active = False
    db.session.commit()
    assert "not correct" in auth.login(user).get_data(as_text=True)


def test_login_rotates_the_session(client, auth, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login(user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(user.id)


@pytest.mark.parametrize(
    "target, lands_on",
    [
        ("/manage/runs/", "/manage/runs/"),
        ("/courses/?q=a%20b", "/courses/?q=a%20b"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
    ],
)
def test_next_after_login_accepts_only_local_paths(client, auth, make_user, target, lands_on):
    user = make_user(role="admin")
    response = client.submit(
        "/login",
        {"email": user.email, "password": PASSWORD},
        page="/login",
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == lands_on


def test_forms_without_csrf_token_are_refused(client, db):
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 400
    assert user_count(db) == 0


def test_logout_needs_post(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/logout").status_code == 405
    response = auth.logout()
    assert response.status_code == 302
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_profile_edit_leaves_the_email_alone(client, auth, db, make_user):
    user = make_user(email="me@example.org")
    auth.login(user)
    data = {
        "profile-full_name": "Lőrincz Ödön",
        "profile-email": "other@example.org",  # not a field of this form: ignored
        "profile-organisation": "Máltai Szeretetszolgálat",
        "profile-job_title": "",
        "profile-county": "Heves",
        "profile-settlement": "Eger",
        "profile-phone": "",
        "profile-locale": "hu",
        "profile-time_zone": "",
    }
    response = client.submit("/profile", data, follow_redirects=True)
    assert "Lőrincz Ödön" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.full_name, user.settlement, user.locale) == ("Lőrincz Ödön", "Eger", "hu")
    assert user.email == "me@example.org" and user.pending_email is None


def test_password_change_checks_the_current_one(client, auth, db, make_user):
    user = make_user()
    auth.login(user)
    data = {
        "password-current_password": "not my password",
        "password-new_password": "a brand new password",
        "password-confirm": "a brand new password",
    }
    html = client.submit("/profile", data).get_data(as_text=True)
    assert 'id="password-current_password-error"' in html
    data["password-current_password"] = PASSWORD
    client.submit("/profile", data)
    auth.logout()
    assert auth.login(user, "a brand new password").status_code == 302


def test_production_hashing_uses_a_strong_work_factor(app, make_user):
    assert Config.PASSWORD_HASH_METHOD == "scrypt:32768:8:1"
    app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
    user = make_user()
    assert user.password_hash.startswith("scrypt:32768:8:1$")
