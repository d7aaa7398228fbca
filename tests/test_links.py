"""No page shows a link that refuses its reader.

Each role walks the site from its home pages, following every link it is shown
(the templates ask `can(...)`, the same access table the requests are checked
against), and no link answers 403, 404 or 5xx.
"""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from flask_login import login_user

from lms.access import can
from lms.courses.models import Run

HREF = re.compile(r'<a [^>]*href="([^"]+)"')
NOT_PAGES = (".pdf", ".csv", ".xlsx", ".ics")
START = ("/", "/my/", "/manage/", "/trainer/sessions", "/trainer/runs", "/profile")


def _walk(client, limit: int = 150) -> dict[str, int]:
    """Every same-site link reachable from START (at most `limit` pages), with its status."""
    seen: dict[str, int] = {}
    queue = deque(START)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        # streams run to the end; a signed sheet's download is binary whatever its URL
        body = response.get_data(as_text=not url.endswith(NOT_PAGES)
                                 and response.mimetype.startswith("text/"))
        response.close()
        seen[url] = response.status_code
        if url in START and response.status_code != 200:
            continue  # a start page this role may not open is not a link it was shown
        if response.mimetype != "text/html":
            continue
        for href in HREF.findall(body):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/") or link in seen:
                continue
            queue.append(link)
    return {url: status for url, status in seen.items() if url not in START}


@pytest.fixture
def scoped_admin(db, make_user, certificate_world):
    admin = make_user(role="admin", email="scoped-links@example.org")
    admin.centre_id = db.session.get(Run, certificate_world["ids"]["published_run_id"]).centre_id
    db.session.commit()
    return admin


@pytest.mark.parametrize("who", ["anonymous", "trainee", "trainer", "admin", "scoped"])
def test_every_link_a_role_is_shown_opens(client, auth, transcript_world, scoped_admin, who):
    if who == "scoped":
        auth.login(scoped_admin)
    elif who != "anonymous":
        auth.login(transcript_world["users"][who])
    statuses = _walk(client)
    assert len(statuses) > 5  # the walk really went somewhere
    refused = {url: status for url, status in statuses.items()
               if status in (403, 404) or status >= 500}
    assert refused == {}


def test_a_scoped_administrator_is_not_shown_the_network_pages(client, auth, scoped_admin):
    auth.login(scoped_admin)
    page = client.get("/manage/").get_data(as_text=True)
    assert 'href="/manage/runs/"' in page
    for network_only in ("/manage/users/", "/manage/centres/", "/manage/courses/",
                         "/manage/audit"):
        assert f'href="{network_only}"' not in page
        assert client.get(network_only).status_code == 403


def test_can_follows_the_access_table_for_records(app, client, auth, world):
    ids = world["ids"]
    trainer = world["users"]["trainer"]
    auth.login(trainer)
    with app.test_request_context():
        login_user(trainer)
        assert can("attendance.mark", session_id=ids["published_session_id"])
        assert not can("attendance.mark", session_id=ids["foreign_session_id"])
        assert not can("manage.runs")
    assert client.get(f"/sessions/{ids['foreign_session_id']}/attendance").status_code == 403
