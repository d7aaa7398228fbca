"""The smoke journey against a running Forrás (standard library only).

A newcomer registers, confirms the address with the link from the e-mail the
SMTP sink kept (scripts/smtp_sink.py, so the mail worker really sent it), logs
in, enrols in a published run whose enrolment is open, logs out, and the old
session cookie no longer opens /my/. Exit status 0 when every step held.

    python scripts/smoke.py --base-url http://127.0.0.1:8000 --mail-dir instance/production/mail
"""

import argparse
import email
import email.policy
import http.cookiejar
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path


class SmokeFailure(Exception):
    pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Page(HTMLParser):
    """The hidden CSRF token and the form actions of one page."""

    def __init__(self, html: str):
        super().__init__()
        self.csrf_token = None
        self.actions: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrf_token" and not self.csrf_token:
            self.csrf_token = attrs.get("value")
        elif tag == "form" and attrs.get("action"):
            self.actions.append(attrs["action"])


class Browser:
    def __init__(self, base_url: str, cookies=None, follow_redirects=True):
        self.base_url = base_url.rstrip("/") + "/"
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies)]
        if not follow_redirects:
            handlers.append(NoRedirect())
        self.opener = urllib.request.build_opener(*handlers)

    def url(self, path: str) -> str:
        return urllib.parse.urljoin(self.base_url, path.lstrip("/")) if not path.startswith(
            "http") else path

    def request(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.url(path), data=body,
                                         headers={"Accept-Language": "en"})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:  # 4xx/5xx, and 3xx when not following
            return error.code, error.headers.get("Location", ""), error.read().decode()

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request(path)

    def post_form(self, page_path: str, fields: dict, action: str | None = None):
        """Open the page, take its CSRF token, submit `fields` to `action` (default: the page)."""
        status, _, html = self.get(page_path)
        expect(status == 200, f"GET {page_path} answered {status}")
        token = Page(html).csrf_token
        expect(token, f"{page_path} has no CSRF token")
        return self.request(action or page_path, {"csrf_token": token, **fields})


def expect(condition, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def step(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def confirmation_link(mail_dir: Path, address: str, timeout: float) -> str:
    """The confirmation link of the newest message to `address` the SMTP sink kept."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml"), reverse=True):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address.lower() not in str(message.get("To", "")).lower():
                continue
            text = message.get_body(preferencelist=("plain",)).get_content()
            found = re.search(r"https?://\S+/register/confirm/[\w.\-]+", text)
            expect(found, f"the e-mail to {address} ({path.name}) has no confirmation link")
            return found.group()
        time.sleep(0.5)
    raise SmokeFailure(f"no e-mail to {address} reached {mail_dir} within {timeout:g} s "
                       "(is the mail worker running, with MAIL_SERVER set to the sink?)")


def journey(base_url: str, mail_dir: Path, mail_timeout: float) -> None:
    address = f"smoke-{int(time.time())}-{secrets.token_hex(3)}@example.org"
    password = f"smoke journey {secrets.token_hex(8)}"

    visitor = Browser(base_url)
    status, _, _ = visitor.get("/healthz")
    expect(status == 200, f"/healthz answered {status}")

    status, landed, _ = visitor.post_form("/register", {
        "full_name": "Smoke Test Trainee", "email": address, "password": password,
        "confirm": password, "organisation": "Smoke", "job_title": "", "county": "",
        "settlement": "", "phone": ""})
    expect(status == 200 and "/register/check-your-inbox" in landed,
           f"registration did not end on the check-your-inbox page ({status} {landed})")
    step(f"registered {address}")

    link = confirmation_link(mail_dir, address, mail_timeout)
    expect(link.startswith(base_url.rstrip("/")), f"the link {link} is not on {base_url}")
    status, _, _ = Browser(base_url).get(link)
    expect(status == 200, f"the confirmation link answered {status}")
    step("confirmed the address with the link from the e-mail (sent over SMTP)")

    trainee = Browser(base_url)
    status, landed, _ = trainee.post_form("/login", {"email": address, "password": password})
    expect(status == 200 and "/login" not in landed, f"logging in failed ({status} {landed})")
    status, landed, html = trainee.get("/my/")
    expect(status == 200 and "/my/" in landed, f"/my/ answered {status} at {landed}")
    expect(any(a.endswith("/logout") for a in Page(html).actions),
           "/my/ has no log-out button: not logged in")
    step("logged in")

    run_path, course_path = find_open_run(trainee)
    status, _, _ = trainee.post_form(course_path, {}, action=run_path)
    expect(status == 200, f"enrolling answered {status}")
    status, _, html = trainee.get(course_path)
    expect('class="enrol-state"' in html, f"{course_path} does not show the enrolment")
    step(f"enrolled in {course_path} ({run_path})")

    old_session = list(trainee.cookies)
    status, _, _ = trainee.post_form("/my/", {}, action="/logout")
    expect(status == 200, f"logging out answered {status}")
    step("logged out")

    replay = http.cookiejar.CookieJar()
    for cookie in old_session:
        replay.set_cookie(cookie)
    status, location, _ = Browser(base_url, replay, follow_redirects=False).get("/my/")
    expect(status in (302, 303) and "/login" in location,
           f"the old session cookie still opens /my/ ({status} {location})")
    step("the old session cookie no longer opens /my/")


def find_open_run(browser: Browser) -> tuple[str, str]:
    """(enrol action, course page) of the first published run the trainee can enrol in."""
    status, _, html = browser.get("/courses/")
    expect(status == 200, f"the catalogue answered {status}")
    courses = list(dict.fromkeys(re.findall(r'href="([^"]*/courses/[^"/?#]+)[#"]', html)))
    for course in courses:
        status, _, page = browser.get(course)
        if status != 200:
            continue
        for action in Page(page).actions:
            if re.fullmatch(r".*/runs/\d+/enrol", action):
                return action, course
    raise SmokeFailure(f"none of the {len(courses)} published courses has a run open for "
                       "enrolment (load the demo: flask demo)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--mail-dir", type=Path, required=True,
                        help="the folder where scripts/smtp_sink.py keeps the messages")
    parser.add_argument("--mail-timeout", type=float, default=60,
                        help="seconds to wait for the confirmation e-mail")
    args = parser.parse_args()
    try:
        journey(args.base_url, args.mail_dir, args.mail_timeout)
    except SmokeFailure as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr)
        return 1
    print("smoke: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
