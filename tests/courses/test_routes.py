from datetime import date, timedelta

import pytest

from lms.courses.models import CourseStatus


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
