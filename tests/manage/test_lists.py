"""The back office's long lists: people, runs, courses, centres, audit log, outbox.

Each one pages, keeps its filters and search in its page links, costs the same number
of SQL statements for a page whether the list is short or long, and shrugs off
hostile page numbers and cursors.
"""

import html as htmllib
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.auth.models import Role, User
from lms.clock import utcnow

HOSTILE_PAGES = ["0", "-1", "NaN", "inf", "1e999", "99999999999999999999", "2147483648",
                 "\x00", "a\x00b", "😀", "a" * 3000]
HOSTILE_CURSORS = ["x", "====", "\x00", "😀", "a" * 3000, "WyJ4Il0",  # ["x"]
                   "WzEsMiwzXQ",  # [1,2,3]
                   "WyI5OTk5LTEyLTMxVDIzOjU5OjU5KzAwOjAwIiw5OTk5OTk5OTk5OTk5OV0",  # huge id
                   "WyIwMDAxLTAxLTAxVDAwOjAwOjAwIiwxXQ",  # naive year 1
                   "WzE1ZTk5OTld", "Wy0xXQ", "WyJOYU4iLDFd"]


def expected_status(value: str) -> int:
    """The page, or for a control character in the address the site's plain 400
    (lms.security): never a 5xx."""
    return 400 if "\x00" in value else 200


def text(response) -> str:
    return response.get_data(as_text=True)


def links(html: str, rel: str) -> str:
    """The href of the pager's link with this rel (unescaped)."""
    match = re.search(r'href="([^"]+)" rel="' + rel + '"', html)
    assert match, f"no rel={rel} link"
    return htmllib.unescape(match.group(1))


def rows(html: str) -> str:
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


@pytest.fixture
def admin(auth, make_user):
    user = make_user(role=Role.ADMIN, full_name="Zsuzsa Admin", email="boss@example.org")
    auth.login(user)
    return user


def add_people(db, first: int, count: int, **fields) -> None:
    """People without the cost of hashing a password each (they never log in here)."""
    now = utcnow()
    db.session.execute(sa.insert(User), [
        {"email": f"person{n:03d}@example.org", "password_hash": "x",
         "full_name": f"Pager Person {n:03d}", "role": Role.TRAINEE,
         "organisation": "Békési Családsegítő", "created_at": now, **fields}
        for n in range(first, first + count)])
    db.session.commit()


# ---------------------------------------------------------------- people


def test_people_are_found_by_name_email_or_organisation_whatever_case_and_accents(
        client, db, admin, make_user):
    make_user(full_name="Kovács Ágnes", email="agnes@szolnok.example", organisation="Aranyág")
    make_user(full_name="Иван Петров", email="ivan@razgrad.example",
              organisation="Ресурсен център Разград")
    make_user(full_name="Nagy Péter", email="peter@example.org", organisation="Szolnoki Család")
    for q, found, not_found in [
        ("agnes", "Kovács Ágnes", "Nagy Péter"),
        ("KOVACS", "Kovács Ágnes", "Nagy Péter"),
        ("szolnok.example", "Kovács Ágnes", "Nagy Péter"),
        ("családi", None, "Nagy Péter"),  # every word must be there
        ("szolnoki csalad", "Nagy Péter", "Kovács Ágnes"),
        ("иван", "Иван Петров", "Nagy Péter"),
        ("РАЗГРАД", "Иван Петров", "Kovács Ágnes"),
        ("50%_", None, "Kovács Ágnes"),  # LIKE's wildcards are plain letters
    ]:
        html = rows(text(client.get("/manage/users/", query_string={"q": q})))
        if found:
            assert found in html, q
        assert not_found not in html, q
    html = text(client.get("/manage/users/", query_string={"q": "nobody-like-this"}))
    assert "Nobody matches." in html


def test_people_page_two_shows_the_next_people_and_keeps_the_search(client, db, admin):
    add_people(db, 1, 60)
    add_people(db, 61, 5, role=Role.TRAINER)
    first = text(client.get("/manage/users/?q=pager&role=trainee"))
    assert "Pager Person 001" in first and "Pager Person 050" in first
    assert "Pager Person 051" not in first and "Pager Person 061" not in first
    assert "Showing 1–50 of 60" in first and "Page 1 of 2" in first
    assert 'aria-current="page"' in first
    second_url = links(first, "next")
    assert "q=pager" in second_url and "role=trainee" in second_url and "page=2" in second_url
    second = text(client.get(second_url))
    assert "Pager Person 051" in second and "Pager Person 060" in second
    assert "Pager Person 050" not in second and "Pager Person 061" not in second
    assert "Showing 51–60 of 60" in second
    assert 'value="pager"' in second  # the search box still says what was searched
    assert "role=trainee" in links(second, "prev") and "q=pager" in links(second, "prev")


def test_a_page_past_the_end_shows_the_last_page(client, db, admin):
    add_people(db, 1, 60)
    html = text(client.get("/manage/users/?q=pager&page=7"))
    assert "Pager Person 060" in html and "Page 2 of 2" in html


def test_people_page_costs_the_same_queries_with_few_or_many_people(
        client, db, admin, query_counter):
    add_people(db, 1, 3)
    with query_counter() as few:
        assert client.get("/manage/users/?q=pager").status_code == 200
    add_people(db, 4, 200)
    with query_counter() as many:
        html = text(client.get("/manage/users/?q=pager"))
    assert "Showing 1–50 of 203" in html
    assert len(many) == len(few)


# ---------------------------------------------------------------- runs


@pytest.fixture
def two_centres(make_centre):
    return make_centre(city="Szolnok"), make_centre(city="Razgrad", country="BG")


def test_runs_page_two_keeps_the_centre_status_and_year(client, db, admin, make_run,
                                                        make_course, two_centres):
    szolnok, razgrad = two_centres
    course = make_course(total_hours=6)
    start = date(2031, 3, 2)
    made = [make_run(course=course, centre=szolnok, start=start + timedelta(days=7 * n))
            for n in range(5)]
    make_run(course=course, centre=razgrad, start=start)  # another centre
    make_run(course=course, centre=szolnok, publish=False, start=start)  # a draft
    make_run(course=course, centre=szolnok, start=date(2032, 3, 2))  # another year
    url = f"/manage/runs/?centre={szolnok.id}&status=published&year=2031&per_page=3"
    first = text(client.get(url))
    assert "Showing 1–3 of 5" in first
    ids = [int(i) for i in re.findall(r'href="/manage/runs/(\d+)"', rows(first))]
    assert ids == [r.id for r in reversed(made)][:3]  # newest first
    second_url = links(first, "next")
    for kept in (f"centre={szolnok.id}", "status=published", "year=2031", "per_page=3"):
        assert kept in second_url
    second = text(client.get(second_url))
    ids = [int(i) for i in re.findall(r'href="/manage/runs/(\d+)"', rows(second))]
    assert ids == [made[1].id, made[0].id]
    # The dates come from the sessions: one 6-hour session each.
    assert "2 March 2031" in second or "2031" in rows(second)
    assert "6 / 6" in rows(second)


def test_runs_list_costs_the_same_queries_with_few_or_many_runs(
        client, db, admin, make_run, make_course, two_centres, query_counter):
    szolnok, razgrad = two_centres
    course = make_course(total_hours=12)
    make_run(course=course, centre=szolnok)
    with query_counter() as few:
        assert client.get("/manage/runs/?per_page=4").status_code == 200
    for n in range(8):
        make_run(course=course, centre=razgrad if n % 2 else szolnok)
    with query_counter() as many:
        html = text(client.get("/manage/runs/?per_page=4"))
    assert "Showing 1–4 of 9" in html
    assert len(many) == len(few)


def test_a_run_without_sessions_says_so(client, db, admin, make_run):
    make_run(publish=False, sessions=[])
    assert "no sessions yet" in text(client.get("/manage/runs/"))


# ---------------------------------------------------------------- courses and centres


def test_courses_page_two_keeps_the_search_and_counts_runs(client, db, admin, make_course,
                                                           make_run):
    courses = [make_course(title=f"Közösségfejlesztés {n}", total_hours=24) for n in range(3)]
    make_course(title="Budgeting", total_hours=24)
    make_run(course=courses[0])
    make_run(course=courses[0])
    first = text(client.get("/manage/courses/?q=kozosseg&per_page=2"))
    assert "Showing 1–2 of 3" in first and "Budgeting" not in first
    second_url = links(first, "next")
    assert "q=kozosseg" in second_url
    second = text(client.get(second_url))
    assert "Közösségfejlesztés 2" in second and "Közösségfejlesztés 0" not in second
    row = next(r for r in rows(first).split("<tr>") if "Közösségfejlesztés 0" in r)
    assert '<td class="num">2</td>' in row


def test_courses_list_costs_the_same_queries_with_few_or_many_courses(
        client, db, admin, make_course, make_run, query_counter):
    make_run(course=make_course())
    with query_counter() as few:
        client.get("/manage/courses/?per_page=5")
    for _n in range(6):
        make_run(course=make_course())
    with query_counter() as many:
        assert "Showing 1–5 of 7" in text(client.get("/manage/courses/?per_page=5"))
    assert len(many) == len(few)


def test_centres_are_paged(client, db, admin, make_centre, query_counter):
    make_centre(city="Aszód")
    with query_counter() as few:
        client.get("/manage/centres/?per_page=2")
    for city in ("Békéscsaba", "Debrecen", "Eger"):
        make_centre(city=city)
    with query_counter() as many:
        first = text(client.get("/manage/centres/?per_page=2"))
    assert len(many) == len(few)
    assert "Aszód" in first and "Debrecen" not in first
    second = text(client.get(links(first, "next")))
    assert "Debrecen" in second and "Eger" in second and "Aszód" not in second


# ---------------------------------------------------------------- audit log


def add_entries(db, count: int, entity: str = "Course", first: int = 0, at=None) -> None:
    at = at or utcnow()
    db.session.execute(sa.insert(AuditEntry), [
        {"at": at - timedelta(minutes=count - n), "action": "event", "event": "export",
         "entity": entity, "entity_id": None, "label": f"entry-{first + n:03d}",
         "changes": {}, "endpoint": "", "reason": ""}
        for n in range(count)])
    db.session.commit()


def labels(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"entry-\d{3}", rows(html))))


def test_audit_log_older_and_newer_pages_keep_the_filters(client, db, admin):
    add_entries(db, 120, entity="Course")
    add_entries(db, 30, entity="Run", first=500)
    first = text(client.get("/manage/audit?entity=Course"))
    shown = labels(first)
    assert shown[0] == "entry-119" and shown[-1] == "entry-070" and len(shown) == 50
    older_url = links(first, "next")
    assert "entity=Course" in older_url
    second = text(client.get(older_url))
    shown = labels(second)
    assert shown[0] == "entry-069" and shown[-1] == "entry-020"
    third = text(client.get(links(second, "next")))
    assert labels(third)[0] == "entry-019" and labels(third)[-1] == "entry-000"
    assert 'rel="next"' not in third  # the oldest: no "Older"
    back = text(client.get(links(third, "prev")))
    assert labels(back) == labels(second)
    assert "entity=Course" in links(back, "first")


def test_audit_entries_of_the_same_moment_are_neither_lost_nor_repeated(client, db, admin):
    moment = utcnow()
    db.session.execute(sa.insert(AuditEntry), [
        {"at": moment, "action": "event", "event": "export", "entity": "Course",
         "label": f"entry-{n:03d}", "changes": {}, "endpoint": "", "reason": ""}
        for n in range(75)])
    db.session.commit()
    first = text(client.get("/manage/audit?entity=Course"))
    second = text(client.get(links(first, "next")))
    together = labels(first) + labels(second)
    assert sorted(together) == [f"entry-{n:03d}" for n in range(75)]


def test_audit_page_costs_the_same_queries_however_long_the_log(
        client, db, admin, query_counter):
    add_entries(db, 5)
    with query_counter() as few:
        client.get("/manage/audit?entity=Course")
    add_entries(db, 300, first=100)
    with query_counter() as many:
        first = text(client.get("/manage/audit?entity=Course"))
    assert len(many) == len(few)
    with query_counter() as deep:
        client.get(links(first, "next"))
    assert len(deep) == len(few)


@pytest.mark.parametrize("cursor", HOSTILE_CURSORS)
def test_a_garbage_audit_cursor_shows_the_newest_entries(client, db, admin, cursor):
    add_entries(db, 3)
    for name in ("after", "before"):
        response = client.get("/manage/audit", query_string={name: cursor, "entity": "Course"})
        assert response.status_code == expected_status(cursor)
        if response.status_code == 200:
            assert labels(text(response))[0] == "entry-002"


# ---------------------------------------------------------------- hostile page numbers


@pytest.mark.parametrize("path", ["/manage/users/", "/manage/runs/", "/manage/courses/",
                                  "/manage/centres/"])
def test_hostile_page_numbers_show_a_page(client, db, admin, path):
    for value in HOSTILE_PAGES:
        for name in ("page", "per_page", "year", "centre", "q"):
            response = client.get(path, query_string={name: value})
            assert response.status_code == expected_status(value), (name, value)


@pytest.mark.parametrize("cursor", HOSTILE_CURSORS)
def test_a_garbage_outbox_cursor_shows_the_newest_messages(client, db, admin, cursor):
    for name in ("after", "before"):
        response = client.get("/manage/outbox", query_string={name: cursor})
        assert response.status_code == expected_status(cursor)


# ---------------------------------------------------------------- a run's roster


def add_cancellations(db, run, admin, first: int, count: int) -> None:
    from lms.enrolment.models import CancelKind, Enrolment, EnrolmentState

    add_people(db, first, count)
    people = db.session.scalars(sa.select(User.id).where(
        User.email.in_([f"person{n:03d}@example.org" for n in range(first, first + count)])))
    now = utcnow()
    db.session.execute(sa.insert(Enrolment), [
        {"run_id": run.id, "user_id": user_id, "state": EnrolmentState.CANCELLED,
         "created_at": now, "updated_at": now,
         "cancelled_at": now - timedelta(minutes=int(user_id)), "cancelled_by_id": admin.id,
         "cancel_kind": CancelKind.BY_ADMIN, "cancel_reason": f"reason of {user_id}"}
        for user_id in people])
    db.session.commit()


def test_a_long_roster_pages_its_cancellations(client, db, admin, make_run, make_user,
                                               query_counter):
    run = make_run(capacity=5)
    trainee = make_user(full_name="Still Enrolled")
    client.submit(f"/manage/runs/{run.id}/roster/enrol", {"email": trainee.email},
                  page=f"/manage/runs/{run.id}/roster")
    add_cancellations(db, run, admin, 1, 3)
    url = f"/manage/runs/{run.id}/roster"
    with query_counter() as few:
        assert "Still Enrolled" in text(client.get(url))
    add_cancellations(db, run, admin, 4, 60)
    with query_counter() as many:
        first = text(client.get(url))
    assert len(many) == len(few)
    assert "Still Enrolled" in first and "Cancelled (63)" in first
    assert "Showing 1–50 of 63" in first
    assert first.count("reason of ") == 50
    second_url = links(first, "next")
    assert "cancelled_page=2" in second_url and second_url.endswith("#cancelled-heading")
    second = text(client.get(second_url))
    assert second.count("reason of ") == 13 and "Still Enrolled" in second
    shown = set(re.findall(r"reason of \d+", first)) | set(re.findall(r"reason of \d+", second))
    assert len(shown) == 63


def test_the_pager_speaks_the_readers_language(client, db, admin):
    add_people(db, 1, 1200)
    html = text(client.get("/manage/users/?q=pager&page=2",
                           headers={"Accept-Language": "hu"}))
    assert "51–100 megjelenítve, összesen 1\u00a0200" in html  # 1 200: Hungarian digits
    assert "2. oldal / 24" in html and "Következő oldal" in html and "Előző oldal" in html
    html = text(client.get("/manage/users/?q=pager&page=2", headers={"Accept-Language": "bg"}))
    assert "Страница 2 от 24" in html and "Следваща страница" in html


def test_a_centre_administrator_sees_only_their_runs_whatever_the_centre_asked(
        client, auth, db, make_user, make_run, two_centres):
    szolnok, razgrad = two_centres
    own = make_run(centre=szolnok)
    other = make_run(centre=razgrad)
    local = make_user(role=Role.ADMIN, email="local@example.org")
    local.centre_id = szolnok.id
    db.session.commit()
    auth.login(local)
    response = client.get(f"/manage/runs/?centre={razgrad.id}")
    assert response.status_code == 200
    html = text(response)
    assert f'href="/manage/runs/{own.id}"' in html
    assert f'href="/manage/runs/{other.id}"' not in html
    assert 'id="centre-filter"' not in html  # one centre: nothing to choose
