"""Hostile input, tried for real, through every form the application shows.

The test logs in as each role, visits the pages of tests/test_access.py, reads
every POST form on them (fields, hidden values, selects) and sends it back once
per hostile value, with that value in every text, number, date and hidden field.
Each answer must be a page, never a server error, and never contain the value
unescaped; afterwards every page, export and PDF is fetched again and must show
what was stored escaped, with spreadsheet cells neutralised.
"""

import csv
import io
import re
import zipfile
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from lms.exports import csv_conventions
from tests.test_access import ROUTES

SCRIPT = "<script>alert('x')</script>"
HOSTILE = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "Robert'); DROP TABLE \"user\";--",
    "x" * 10_000,
    "\u202eevil\u202c right-to-left",
    "Emoji 😀👩‍👩‍👧 test",
    "nul\x00byte",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "NaN",
    "1e999",
    "-5",
    "99999999999999999999999",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+41 cmd|'/C calc'!A0",
    "@SUM(1+1)",
]
SKIPPED_ACTIONS = ("/logout",)
FUZZED_TYPES = {"text", "email", "number", "date", "time", "search", "hidden", "textarea",
                "password", "month", "tel", "url", None}


class Forms(HTMLParser):
    """The POST forms of a page: action and default values, as a browser would send."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "post": a.get("method") == "post",
                               "fields": {}, "types": {}})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button"):
                return
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ("y" if kind == "checkbox"
                                                                    else "")
            self.forms[-1]["types"][a["name"]] = kind
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["types"][a["name"]] = "select"
        elif tag == "option" and self._select:
            fields = self.forms[-1]["fields"]
            if self._select not in fields or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.forms[-1]["fields"][a["name"]] = ""
            self.forms[-1]["types"][a["name"]] = "textarea"

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def post_forms(html: str, page: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    forms = [f for f in parser.forms if f["post"]]
    for form in forms:
        form["action"] = form["action"] or page
    return [f for f in forms if not f["action"].startswith(SKIPPED_ACTIONS)]


def assert_escaped(body: str, where: str) -> None:
    assert SCRIPT not in body, f"unescaped script in {where}"
    assert "<img src=x onerror" not in body, f"unescaped attribute injection in {where}"
    assert "Traceback" not in body, where


PAGES = sorted({t for m, t, _e in ROUTES if m == "GET"
                and not t.endswith((".pdf", ".csv", ".xlsx", ".zip", ".ico"))
                and "{bad_token}" not in t
                and "/signed-sheets/" not in t})  # a scan's download, not a page


@pytest.mark.parametrize("role", ("trainee", "trainer", "admin"))
def test_every_form_refuses_or_escapes_hostile_input(app, client, auth, transcript_world, role):
    for limit in ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ACCOUNT",
                  "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", "PASSWORD_RESET_LIMIT",
                  "SURVEY_ANSWER_LIMIT"):
        app.config[limit] = "10000 per minute"  # the limits are tested elsewhere
    ids = transcript_world["ids"]
    auth.login(transcript_world["users"][role])
    tried = set()
    for template in PAGES:
        page = template.format(**ids)
        response = client.get(page)
        if response.status_code != 200:
            continue
        for form in post_forms(response.get_data(as_text=True), page):
            fuzzable = [name for name, kind in form["types"].items()
                        if kind in FUZZED_TYPES and name != "csrf_token"]
            key = (re.sub(r"\d+", "N", form["action"]), tuple(sorted(fuzzable)))
            if not fuzzable or key in tried:
                continue
            tried.add(key)
            for value in HOSTILE:
                data = dict(form["fields"], **dict.fromkeys(fuzzable, value))
                answer = client.post(form["action"], data=data)
                where = f"{form['action']} with {value[:30]!r}"
                assert answer.status_code in (200, 302, 400, 403, 404, 409), where
                assert_escaped(answer.get_data(as_text=True), where)
                logged_out = client.get("/profile").status_code == 302
                if "/login" in (answer.location or "") and logged_out:
                    auth.login(transcript_world["users"][role])  # e.g. after a logout
    assert len(tried) >= {"trainee": 4, "trainer": 3, "admin": 18}[role], sorted(tried)
    # Whatever was stored shows escaped everywhere it appears.
    auth.logout()
    auth.login(transcript_world["users"]["admin"])
    for template in sorted({t for m, t, _e in ROUTES if m == "GET" and "{bad_token}" not in t}):
        url = template.format(**ids)
        response = client.get(url)
        assert response.status_code < 500, url
        if url.endswith(".csv"):
            separator, _decimal = csv_conventions(response.headers["Content-Language"])
            text = response.get_data(as_text=True)
            for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=separator):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@")) or cell[1:2] == "-", url
        elif url.endswith(".xlsx") and response.status_code == 200:
            sheet = load_workbook(io.BytesIO(response.data)).active
            for row in sheet.iter_rows(min_row=2, values_only=True):
                for cell in row:
                    assert not (isinstance(cell, str) and cell.startswith(("=", "+", "@"))), url
        elif url.endswith(".zip") and response.mimetype == "application/zip":
            # (the evidence pack's old address answers a page offering the job: below)
            with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
                assert archive.testzip() is None, url
        elif url.endswith(".pdf") or "/signed-sheets/" in url and response.status_code == 200:
            assert PdfReader(io.BytesIO(response.data)).pages, url
        elif url.endswith(".ico"):
            assert response.mimetype.startswith("image/"), url
        else:
            assert_escaped(response.get_data(as_text=True), url)
