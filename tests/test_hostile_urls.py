"""Hostile addresses: every route of tests/test_access.py, with hostile values in its
URL parameters and in its query string, answers a clear 4xx (or the page), never 5xx.

Numbers beyond what an id can be (64 bits and more), not numbers at all (inf, NaN,
1e999), NUL and other control characters, dates at the edges of the calendar. Runs on
SQLite and on PostgreSQL (TEST_DATABASE_URL), which refuses NUL and large integers
differently.
"""

import re

import pytest

from tests.test_access import ROUTES

IN_PATH = [
    "99999999999999999999",  # beyond 64 bits
    "9223372036854775808",  # one beyond a signed 64-bit integer
    "2147483648",  # one beyond the database's INTEGER
    "-1", "0", "1e999", "inf", "NaN", "1.5",
    "x\x00y", "%00", "\x1b[31m", "\u202e", "😀", "a" * 3000,
]
IN_QUERY = [
    "\x00", "a\x00b", "\x07", "99999999999999999999", "-99999999999999999999", "1e999",
    "inf", "-inf", "NaN", "0000-00-00", "0001-01-01", "9999-12-31", "2026-02-30",
    "'\"<>", "a" * 3000, "😀",
]
# Every query argument a view reads (and some it does not).
ARGS = ("page", "id", "since", "until", "entity", "actor", "before", "state", "course",
        "status", "role", "q", "format", "centre", "region", "month", "code", "next", "all",
        "lang", "after", "per_page", "year", "cancelled_page")
PARAM = re.compile(r"\{(\w+)\}")
ARGS += ("show", "ahead")  # the trainer's past sessions filter and upcoming page


def _urls_with_hostile_parameters(ids):
    for method, template, _expected in ROUTES:
        names = PARAM.findall(template)
        for name in names:
            for value in IN_PATH:
                url = template.format(**{**ids, name: "{" + name + "}"})
                yield method, url.replace("{" + name + "}", value)


def _client_as(client, auth, users, role):
    if role != "anonymous":
        auth.login(users[role])
    return client.csrf_token("/")


def _send(client, method, url, token, **kwargs):
    if method == "GET":
        return client.get(url, **kwargs)
    return client.post(url, data={"csrf_token": token}, **kwargs)


@pytest.mark.parametrize("role", ("anonymous", "admin"))
def test_hostile_url_parameters_are_a_4xx(app, client, auth, transcript_world, role):
    token = _client_as(client, auth, transcript_world["users"], role)
    tried = 0
    for method, url in _urls_with_hostile_parameters(transcript_world["ids"]):
        response = _send(client, method, url, token)
        assert response.status_code < 500, f"{method} {url[:80]!r}: {response.status_code}"
        tried += 1
    assert tried > 500


def test_ids_beyond_what_a_record_can_have_are_404(app, client, auth, transcript_world):
    auth.login(transcript_world["users"]["admin"])
    for value in ("99999999999999999999", "9223372036854775808", "2147483648"):
        assert client.get(f"/manage/runs/{value}").status_code == 404, value
        assert client.get(f"/sessions/{value}/attendance").status_code == 404, value


@pytest.mark.parametrize("role", ("anonymous", "trainee", "trainer", "admin"))
def test_hostile_query_strings_are_a_4xx_or_the_page(app, client, auth, transcript_world,
                                                     role):
    token = _client_as(client, auth, transcript_world["users"], role)
    ids = transcript_world["ids"]
    for method, template, _expected in ROUTES:
        url = template.format(**ids)
        values = IN_QUERY if not url.endswith(".pdf") else ["\x00", "99999999999999999999"]
        for value in values:
            response = _send(client, method, url, token,
                             query_string=dict.fromkeys(ARGS, value))
            assert response.status_code < 500, f"{method} {url} ?={value[:20]!r}"
            if "\x00" in value or "\x07" in value:
                assert response.status_code == 400, f"{method} {url} ?={value!r}"


def test_control_characters_in_the_address_are_refused(client):
    assert client.get("/verify/ab\x00cd").status_code == 400
    assert client.get("/verify", query_string={"code": "ab\x00cd"}).status_code == 400
    assert client.get("/", query_string={"q": "x\x1by"}).status_code == 400
    assert client.get("/", query_string={"q": "line\ttab"}).status_code == 200


def test_audit_log_filters_at_the_edges_of_the_calendar(app, client, auth, world):
    auth.login(world["users"]["admin"])
    for since, until in (("0001-01-01", "9999-12-31"), ("9999-12-31", ""), ("", "0001-01-01")):
        response = client.get("/manage/audit", query_string={"since": since, "until": until})
        assert response.status_code == 200, (since, until)
        assert client.get("/manage/audit.csv", query_string={
            "since": since, "until": until}).status_code == 200
    for page in ("99999999999999999999", "1e999", "-5"):
        assert client.get("/manage/audit", query_string={"page": page, "id": page}
                          ).status_code == 200
