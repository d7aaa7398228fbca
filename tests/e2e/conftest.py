"""Browser journeys: Playwright drives Debian's Chromium against a live Forrás.

The server is the real application on a free port, in a thread of this process,
using the suite's database (`database_url`: a fresh SQLite file, or the scratch
PostgreSQL database when `TEST_DATABASE_URL` is set). Each test makes its data
through the services inside the `app` fixture, whose teardown empties every
table, so the journeys leave nothing behind for the other tests.

Without /usr/bin/chromium (or the `playwright` package) each test module here
skips itself (`skip_without_browser()`), with the reason in the summary; a skip
raised in this conftest would break `pytest tests/e2e`. Chromium is never
downloaded.
"""

import importlib.util
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, gettext, ngettext
from werkzeug.serving import make_server

from lms import create_app
from lms.extensions import db as _db
from lms.notifications.models import Notification
from lms.templating import format_hours
from tests.conftest import PASSWORD, _test_config

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"browser journeys skipped: {CHROMIUM} not found (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return ("browser journeys skipped: the playwright package is missing "
                "(.venv/bin/pip install -e '.[test]')")
    return None


def skip_without_browser() -> None:
    """Called at the top of each test module: skips it, saying why, without a browser."""
    reason = missing_browser()
    if reason:
        pytest.skip(reason, allow_module_level=True)


ROOT = Path(__file__).resolve().parents[2]
# axe-core is vendored (vendor/axe.min.js, MPL-2.0): CI needs no network and every
# run checks with the same rules.
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
LANGUAGES = ("en", "hu", "bg")
# The browser's Accept-Language for each interface language.
BROWSER_LOCALES = {"en": "en-GB", "hu": "hu-HU", "bg": "bg-BG"}


@pytest.fixture(scope="session")
def live_server(database_url, _schema):
    """The application served over HTTP on a free port; yields its base URL."""
    config = _test_config(database_url)
    del config["SERVER_NAME"]  # answer on 127.0.0.1:<port>, like a real deployment
    config.update(
        # Many logins from one address in a few seconds (the limits are tested in
        # tests/auth). Not RATELIMIT_ENABLED=False: the limiter is one object shared by
        # every app in the process, so that would switch it off for the later tests.
        LOGIN_LIMIT_PER_ADDRESS="1000 per minute",
        LOGIN_LIMIT_PER_ACCOUNT="1000 per minute",
        LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS="1000 per minute",
    )  # no mail worker runs: e-mails stay in the outbox, where a journey reads its links
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url  # e-mailed links point at this server
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser: "Browser", live_server: str):
    """Opens browser contexts (one per person), speaking `language`; closes them after."""
    contexts: list[BrowserContext] = []

    def make(language: str = "en", **options) -> "BrowserContext":
        context = browser.new_context(
            base_url=live_server, locale=BROWSER_LOCALES[language], **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context) -> Callable[..., "Page"]:
    def make(language: str = "en", **options) -> "Page":
        return new_context(language, **options).new_page()

    return make


def screenshot(page: "Page", name: str) -> Path:
    """Keep the last page of a journey under test-artifacts/e2e/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: "Page", email: str, password: str = PASSWORD, axe: "AxeAudit | None" = None
          ) -> None:
    """Log in through the real form; fails the test if the form comes back. With `axe`,
    the form and the page it leads to are checked too."""
    page.goto("/login")
    if axe is not None:
        axe.check(page)
    form = page.locator("main form[method=post]")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert not page.url.split("?")[0].endswith("/login"), page.inner_text("main")
    if axe is not None:
        axe.check(page)


def submit_form(page: "Page", action: str) -> None:
    """Press the submit button of the form posting to `action` (a path) and wait."""
    button = page.locator(f'form[action="{action}"] button[type=submit]')
    with page.expect_navigation():
        button.click()


def flash_text(page: "Page") -> str:
    flashes = page.locator(".flashes")
    return flashes.inner_text() if flashes.count() else ""


@pytest.fixture
def tr(app: Flask):
    """The interface text the server shows in `language` (translations or not)."""

    def translate(language: str, text: str, plural: str | None = None, num: int | None = None,
                  **variables) -> str:
        """gettext(text), or ngettext(text, plural, num) when a plural is given."""
        with app.test_request_context(), force_locale(language):
            if plural is not None:
                return ngettext(text, plural, num, **variables)
            return gettext(text, **variables)

    return translate


@pytest.fixture
def hours_in(app: Flask):
    """Hours as the pages print them in `language` (2,5 in Hungarian, 2.5 in English)."""

    def show(language: str, value) -> str:
        with app.test_request_context(), force_locale(language):
            return format_hours(value)

    return show


def fresh(db) -> None:
    """Forget what the test's own session has read: the server has changed rows since."""
    db.session.rollback()
    db.session.expire_all()


@pytest.fixture
def outbox_link(db):
    """The first link of the newest e-mail of `kind` sent to `email`."""

    def find(email: str, kind: str) -> str:
        from lms.auth.models import User

        fresh(db)
        body = db.session.scalar(
            sa.select(Notification.body)
            .join(User, Notification.user_id == User.id)
            .where(User.email == email.lower(), Notification.kind == kind)
            .order_by(Notification.id.desc())
            .limit(1)
        )
        assert body, f"no {kind} e-mail to {email}"
        match = re.search(r"https?://\S+", body)
        assert match, body
        return match.group(0)

    return find


# ---------------------------------------------------------------- accessibility (axe-core)


def axe_violations(page: "Page", run_only: dict | None = None) -> list[dict]:
    """axe-core's violations on the page: WCAG 2.1 A and AA rules unless told otherwise.

    axe is already there in pages opened by `audited_page` (an init script, which the
    Content-Security-Policy does not stop); elsewhere it is added as a script tag, which
    needs a context opened with `bypass_csp=True`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """runOnly => axe.run(document, {runOnly})
                    .then(result => result.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => n.target.join(' ')).slice(0, 8)})))""",
        run_only or {"type": "tag", "values": WCAG_TAGS},
    )


def describe_violations(problems: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in problems.items():
        for v in violations:
            lines.append(
                f"{where}: [{v['id']}] ({v['impact']}) {v['help']} -> " + "; ".join(v["targets"])
            )
    return "\n".join(lines)


def _address(url: str) -> str:
    """A page's address without host and fragment (/runs/3/register?x=1)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class AxeAudit:
    """axe-core on every page a journey visits.

    `watch(page)` notes each page the browser shows in the main frame (links, forms,
    redirects); `check(page)` runs axe on the page shown now. `assert_clean()`, at the
    journey's end, fails on any violation and on any page shown but never checked,
    so a step added later cannot slip past the audit."""

    def __init__(self) -> None:
        self.problems: dict[str, list[dict]] = {}
        self.visited: list[str] = []
        self.checked: set[str] = set()

    def watch(self, page: "Page") -> "Page":
        page.add_init_script(path=str(AXE))

        def shown(frame) -> None:
            if frame.parent_frame is None and frame.url.startswith("http"):
                self.visited.append(_address(frame.url))

        page.on("framenavigated", shown)
        return page

    def check(self, page: "Page") -> None:
        page.wait_for_load_state()
        address = _address(page.url)
        language = page.locator("html").get_attribute("lang")
        if violations := axe_violations(page):
            self.problems.setdefault(f"{address} ({language})", []).extend(violations)
        self.checked.add(address)

    def assert_clean(self) -> None:
        unchecked = sorted({a for a in self.visited if a not in self.checked})
        assert not unchecked, "pages the journey showed but axe never checked: " + ", ".join(
            unchecked)
        assert self.checked, "axe checked no page"
        assert not self.problems, "WCAG 2.1 A/AA violations:\n" + describe_violations(
            self.problems)


@pytest.fixture
def axe() -> AxeAudit:
    return AxeAudit()


@pytest.fixture
def audited_page(new_page, axe: AxeAudit) -> Callable[..., "Page"]:
    """A page (one person's browser) whose every page the journey's `axe` audit follows."""

    def make(language: str = "en", **options) -> "Page":
        return axe.watch(new_page(language, **options))

    return make
