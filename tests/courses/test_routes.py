from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.courses.models import Course, CourseStatus
from lms.enrolment.services import enrol


def test_catalogue_shows_runs_grouped_with_their_facts(client, make_centre, make_course, make_run):
    centre = make_centre(name="Módszertani Forrásközpont", city="Szolnok")
    named_after_city = make_centre(name="Ресурсен център – Разград", city="Разград")
    make_run(
        course=make_course(total_hours=60, title="Közösségi alapú szolgáltatások"),
        centre=centre,
        capacity=18,
    )
    make_run(
        course=make_course(total_hours=24, title="Közösségfejlesztés a gyakorlatban"),
        centre=named_after_city,
    )
    html = client.get("/").get_data(as_text=True)
    assert "60-hour courses" in html and "24-hour courses" in html
    assert html.index("60-hour courses") < html.index("Közösségi alapú szolgáltatások")
    assert html.index("Közösségi alapú szolgáltatások") < html.index("24-hour courses")
    assert "Módszertani Forrásközpont, Szolnok" in html
    assert "Ресурсен център – Разград<" in html  # the city is not repeated
    assert "18 seats left" in html
    assert "2 trainings found" in html


def test_catalogue_filters_from_the_query_string(client, make_course, make_run):
    make_run(course=make_course(total_hours=60, title="Pénzügyi tudatosság"))
    make_run(course=make_course(total_hours=24, title="Önkéntesek bevonása"))
    html = client.get("/courses/?format=24").get_data(as_text=True)
    assert "Önkéntesek bevonása" in html and "Pénzügyi tudatosság" not in html
    html = client.get("/courses/?q=penzugyi").get_data(as_text=True)
    assert "Pénzügyi tudatosság" in html and "Önkéntesek bevonása" not in html
    assert "Clear filters" in html


def test_catalogue_month_filter_rejects_nonsense_next_to_the_field(client, make_run):
    make_run()
    html = client.get("/courses/?month=2027-13").get_data(as_text=True)
    assert 'id="month-error"' in html
    assert "like 2027-03" in html
    assert "1 training found" in html  # a bad filter is ignored, not an error page


def test_course_page_shows_description_modules_and_schedules(client, make_course, make_run):
    course = make_course(
        total_hours=24,
        title="Részvételi tervezés",
        description="Első bekezdés.\n\nMásodik.",
        target_group="Önkormányzati munkatársak",
        accreditation_number="KE-123/2026",
        credit_points=24,
        modules=[("Alapok", 8 * 60), ("Gyakorlat", 16 * 60)],
    )
    run = make_run(course=course, capacity=15)
    html = client.get(f"/courses/{course.code}").get_data(as_text=True)
    for text in (
        "Részvételi tervezés",
        "Első bekezdés.",
        "Második.",
        "Önkormányzati munkatársak",
        "KE-123/2026",
        "Alapok",
        "Gyakorlat",
        "15 seats left",
        run.sessions[0].topic,
        "09:00–15:00",
    ):
        assert text in html
    assert html.count("<tr>") >= len(run.sessions) + 2


def test_course_page_lists_only_upcoming_published_runs(client, make_course, make_run):
    course = make_course()
    upcoming = make_run(course=course, venue="Upcoming hall")
    make_run(course=course, publish=False, venue="Draft hall")
    make_run(
        course=course,
        start=date.today() - timedelta(days=30),
        venue="Past hall",
        enrolment_closes=date.today() - timedelta(days=40),
    )
    html = client.get(f"/courses/{course.code}").get_data(as_text=True)
    assert f'id="run-{upcoming.id}"' in html
    assert "Draft hall" not in html and "Past hall" not in html


def test_draft_course_is_hidden_except_as_admin_preview(client, auth, make_user, make_course):
    course = make_course(status=CourseStatus.DRAFT, title="Titkos tervezet")
    assert client.get(f"/courses/{course.code}").status_code == 404
    auth.login(make_user(role="admin"))
    html = client.get(f"/courses/{course.code}").get_data(as_text=True)
    assert "Titkos tervezet" in html and "Preview" in html


def test_unknown_course_is_404(client):
    response = client.get("/courses/NOPE")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["catalogue", "course"])
def test_query_count_does_not_grow_with_runs(
    client, make_course, make_centre, make_run, query_counter, page
):
    course = make_course(total_hours=24)
    centres = [make_centre() for _ in range(3)]

    def queries_with(total_runs):
        while len(course.runs) < total_runs:
            make_run(course=course, centre=centres[len(course.runs) % 3])
        url = "/" if page == "catalogue" else f"/courses/{course.code}"
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="run-') >= total_runs
        return len(statements)

    assert queries_with(5) == queries_with(50)


def _cards(html: str) -> int:
    return html.count('class="run-card"')


def test_catalogue_pages_with_the_same_queries_for_3_and_60_runs(
    client, make_course, make_centre, make_run, query_counter
):
    """CATALOGUE_PAGE_SIZE (50) runs a page, soonest first; the page costs the same
    number of statements however many runs the network holds."""
    courses = [make_course(total_hours=hours) for hours in (60, 24, 30)]
    centres = [make_centre() for _ in range(3)]
    runs = []

    def grow_to(total: int) -> None:
        while len(runs) < total:
            n = len(runs)
            runs.append(make_run(course=courses[n % 3], centre=centres[n % 3],
                                 start=date.today() + timedelta(days=20 + n)))

    def get(url: str) -> tuple[str, int]:
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True), len(statements)

    grow_to(3)
    html, few = get("/")
    assert _cards(html) == 3 and "3 trainings found" in html and "Next page" not in html
    grow_to(60)
    first, many = get("/")
    assert many == few
    assert _cards(first) == 50 and "60 trainings found" in first and "Page 1 of 2" in first
    assert 'href="/?page=2"' in first and "Previous page" not in first
    second, on_second = get("/?page=2")
    assert on_second == few
    assert _cards(second) == 10 and "Page 2 of 2" in second and 'href="/?page=1"' in second
    # Soonest first across the pages: the last run starts last.
    assert f"#run-{runs[-1].id}" in second and f"#run-{runs[-1].id}" not in first


def test_catalogue_page_links_keep_the_filters(app, client, make_course, make_run):
    app.config["CATALOGUE_PAGE_SIZE"] = 2
    wanted = make_course(total_hours=24, title="Önkéntesek bevonása")
    for n in range(3):
        make_run(course=wanted, start=date.today() + timedelta(days=20 + n))
    make_run(course=make_course(total_hours=24, title="Pénzügyi tudatosság"))
    html = client.get("/courses/?q=onkentes&format=24").get_data(as_text=True)
    assert "3 trainings found" in html and _cards(html) == 2
    assert 'href="/?page=2&amp;q=onkentes&amp;format=24"' in html
    second = client.get("/courses/?q=onkentes&format=24&page=2").get_data(as_text=True)
    assert _cards(second) == 1 and "Pénzügyi tudatosság" not in second


@pytest.mark.parametrize(
    "page", ["abc", "-1", "0", "1e3", "nan", "99999999999999999999", "²", "3"]
)
def test_catalogue_ignores_a_page_it_cannot_show(app, client, make_run, page):
    app.config["CATALOGUE_PAGE_SIZE"] = 2
    for n in range(3):
        make_run(start=date.today() + timedelta(days=20 + n))
    response = client.get(f"/?page={page}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3 trainings found" in html
    # Garbage is the first page; a page past the end is the last one.
    expected = "Page 2 of 2" if page == "3" else "Page 1 of 2"
    assert expected in html


def test_archiving_a_course_first_says_how_many_runs_and_trainees_it_touches(
        client, auth, db, make_user, make_course, make_run):
    course = make_course(title="Esetkezelés")
    published = make_run(course=course)
    make_run(course=course, publish=False)
    enrol(make_user(), published, utcnow())
    db.session.commit()
    page = f"/manage/courses/{course.id}/status"
    auth.login(make_user(role="trainer"))
    assert client.get(page).status_code == 403
    auth.logout()
    admin = make_user(role="admin")
    auth.login(admin)
    assert f'href="{page}"' in client.get("/manage/courses/").get_data(as_text=True)
    confirm = client.get(page).get_data(as_text=True)
    assert "The course leaves the catalogue with its 1 published run." in confirm
    assert "1 trainee enrolled in them keeps their place" in confirm
    assert "1 draft run cannot be published" in confirm
    assert '<input type="hidden" name="status" value="archived">' in confirm
    assert db.session.get(Course, course.id).status == CourseStatus.PUBLISHED
    client.submit(page, {"status": "archived"}, page=page)
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == CourseStatus.ARCHIVED
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.entity == "Course", AuditEntry.entity_id == course.id,
        AuditEntry.action == "update", AuditEntry.actor_id == admin.id)) == 1
    assert "This course is already archived." in client.get(page).get_data(as_text=True)
