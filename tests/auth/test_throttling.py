"""Login throttling stops guessing without letting an attacker lock people out.

Each test client stands for a browser; `REMOTE_ADDR` for the address it comes from
(behind a proxy, ProxyFix makes request.remote_addr the client's address).
"""

import logging
import socket
import threading

import pytest

from lms import create_app
from lms.extensions import limiter
from tests.auth.test_security import close_connections
from tests.conftest import PASSWORD
from tests.notifications.test_worker import HungSmtpServer as HungServer

OWNER_HOME, ATTACKER, OFFICE = "198.51.100.7", "203.0.113.9", "192.0.2.20"
WRONG = "not the password"


def browser(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def log_in(client, email: str, password: str = PASSWORD) -> int:
    return client.submit("/login", {"email": email, "password": password}).status_code


def test_guessing_from_one_address_stops_there(app, make_user):
    victim, bystander = make_user(), make_user()
    attacker = browser(app, ATTACKER)
    assert [log_in(attacker, victim.email, WRONG) for _ in range(5)] == [200] * 5
    too_many = attacker.submit("/login", {"email": victim.email, "password": PASSWORD})
    assert too_many.status_code == 429 and "Too many attempts" in too_many.get_data(as_text=True)
    # Someone else from the same address, and the owner from theirs, log in.
    assert log_in(attacker, bystander.email) == 302
    assert log_in(browser(app, OWNER_HOME), victim.email) == 302


def test_wrong_passwords_from_anyone_never_lock_the_owner_out(app, make_user):
    """ASVS 2.2.1: a soft lockout. Even a first login, from a new browser."""
    victim = make_user()
    for n in range(5):
        assert log_in(browser(app, f"203.0.113.{n + 1}"), victim.email, WRONG) == 200
    assert log_in(browser(app, OWNER_HOME), victim.email) == 302


def test_a_distributed_attack_stops_strangers_but_not_the_owner(app, make_user):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per hour"
    victim = make_user()
    laptop = browser(app, OWNER_HOME)
    assert log_in(laptop, victim.email) == 302
    laptop.submit("/logout", page="/")
    for n in range(3):
        log_in(browser(app, f"203.0.113.{n + 1}"), victim.email, WRONG)
    # A fourth machine is stopped, even with the right password...
    assert log_in(browser(app, "203.0.113.99"), victim.email) == 429
    # ...but not the owner's browser (its device cookie), wherever it is,
    assert log_in(laptop, victim.email) == 302
    laptop.submit("/logout", page="/")
    travelling = browser(app, "192.0.2.99")
    travelling.set_cookie("forras_device", laptop.get_cookie("forras_device").value)
    assert log_in(travelling, victim.email) == 302
    # nor a new browser at an address the account logged in from.
    assert log_in(browser(app, OWNER_HOME), victim.email) == 302


def test_the_device_cookie_is_no_key_for_other_accounts(app, make_user):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per hour"
    mine, victim = make_user(), make_user()
    attacker = browser(app, ATTACKER)
    assert log_in(attacker, mine.email) == 302  # a device cookie for the attacker's account
    attacker.submit("/logout", page="/")
    for n in range(3):
        log_in(browser(app, f"203.0.113.{n + 1}"), victim.email, WRONG)
    assert log_in(browser(app, "203.0.113.77"), victim.email) == 429
    forged = browser(app, "203.0.113.78")
    forged.set_cookie("forras_device", attacker.get_cookie("forras_device").value + ".abc")
    assert log_in(forged, victim.email) == 429


def test_a_known_device_has_a_count_of_its_own(app, make_user):
    """A colleague guessing from the office address does not lock out the owner's PC."""
    victim = make_user()
    own_pc = browser(app, OFFICE)
    assert log_in(own_pc, victim.email) == 302
    own_pc.submit("/logout", page="/")
    colleague = browser(app, OFFICE)
    for _ in range(5):
        log_in(colleague, victim.email, WRONG)
    assert log_in(colleague, victim.email) == 429
    assert log_in(own_pc, victim.email) == 302
    # and the known device's own count still stops guessing from it
    own_pc.submit("/logout", page="/")
    assert [log_in(own_pc, victim.email, WRONG) for _ in range(6)] == [200] * 5 + [429]


def test_failures_from_one_address_stop_that_address_only(app, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    users = [make_user() for _ in range(5)]
    sprayer = browser(app, ATTACKER)
    assert [log_in(sprayer, u.email, WRONG) for u in users[:4]] == [200, 200, 200, 429]
    assert log_in(sprayer, users[4].email) == 429
    # Every other address logs in as before.
    assert log_in(browser(app, OWNER_HOME), users[4].email) == 302
    assert log_in(browser(app, OFFICE), users[0].email) == 302


def test_successful_logins_cost_nothing(app, make_user):
    """An office behind one address: many people logging in is not an attack."""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    for user in [make_user() for _ in range(5)]:
        office = browser(app, OFFICE)
        assert log_in(office, user.email) == 302


# ---------------------------------------------------------------- Redis goes away

@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once closed


@pytest.fixture
def redis_down_app(app, closed_port):
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY",
                                               "PASSWORD_HASH_METHOD", "SERVER_NAME")}
    down = create_app({**config, "TESTING": True, "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{closed_port}/3"})
    yield down
    close_connections(down)
    # The limiter is one object per process: the next app's storage starts alive.
    limiter._storage_dead = False


def test_without_redis_login_and_verify_keep_working(redis_down_app, make_user, caplog):
    email = make_user().email
    with redis_down_app.app_context(), caplog.at_level(logging.WARNING):
        client = redis_down_app.test_client()
        assert client.get("/verify").status_code == 200
        assert client.get("/verify/NO-SUCH-CODE").status_code == 404
        assert client.post("/password/forgot", data={"email": email}).status_code == 302
        wrong = [client.post("/login", data={"email": email, "password": WRONG}).status_code
                 for _ in range(6)]
        right = client.post("/login", data={"email": email, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": OWNER_HOME})
    # The limits still hold, counted in this process.
    assert wrong == [200] * 5 + [429]
    assert right.status_code == 302
    assert any(r.levelno == logging.WARNING and "storage unreachable" in r.getMessage()
               for r in caplog.records)


@pytest.fixture
def redis_hung_app(app):
    silent = HungServer()  # accepts connections and never answers, like a frozen Redis
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY",
                                               "PASSWORD_HASH_METHOD", "SERVER_NAME")}
    hung = create_app({**config, "TESTING": True, "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{silent.port}/3"})
    yield hung
    silent.close()
    close_connections(hung)
    limiter._storage_dead = False


def test_a_redis_that_never_answers_holds_no_login_for_long(redis_hung_app, make_user):
    email, answers = make_user().email, {}

    def log_in():
        with redis_hung_app.app_context():
            client = redis_hung_app.test_client()
            answers["login"] = client.post("/login", data={"email": email, "password": PASSWORD},
                                           environ_base={"REMOTE_ADDR": OWNER_HOME}).status_code
            answers["health"] = client.get("/healthz").get_json()

    visitor = threading.Thread(target=log_in, daemon=True)
    visitor.start()
    visitor.join(timeout=30)  # a handful of one-second timeouts, not for ever
    assert not visitor.is_alive(), "the login waited for Redis"
    assert answers["login"] == 302
    assert answers["health"]["status"] == "unavailable" and "redis" in str(answers["health"])
