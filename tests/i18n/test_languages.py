"""Pages, form errors, dates and e-mails come out in the reader's language."""

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lms.enrolment import services as enrolment
from lms.notifications.models import Notification

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIRST_DAY = date(2027, 3, 15)  # a Monday

CATALOGUE = {"en": "Course catalogue", "hu": "Képzési katalógus", "bg": "Каталог на обученията"}


def text(response) -> str:
    return response.get_data(as_text=True)


def lang(response) -> str:
    return re.search(r'<html lang="([a-z]+)"', text(response)).group(1)


@pytest.mark.parametrize("code", ["en", "hu", "bg"])
def test_catalogue_speaks_the_browser_language(client, code):
    response = client.get("/", headers={"Accept-Language": f"{code},en;q=0.5"})
    assert lang(response) == code
    assert CATALOGUE[code] in text(response)
    others = [name for other, name in CATALOGUE.items() if other != code]
    assert not any(name in text(response) for name in others)


def test_header_picker_switches_the_language(client):
    client.submit("/language", {"language": "hu", "next": "/"}, page="/")
    assert CATALOGUE["hu"] in text(client.get("/", headers={"Accept-Language": "en"}))
    client.submit("/language", {"language": "bg", "next": "/"}, page="/")
    assert CATALOGUE["bg"] in text(client.get("/"))
    client.submit("/language", {"language": "en", "next": "/"}, page="/")
    assert CATALOGUE["en"] in text(client.get("/"))


@pytest.mark.parametrize(
    ("code", "day", "seats"),
    [
        ("en", "Monday, March 15, 2027", "20 seats left"),
        ("hu", "2027. március 15., hétfő", "20 szabad hely"),
        ("bg", "понеделник, 15 март 2027\u202fг.", "остават 20 места"),
    ],
)
def test_course_page_dates_and_plurals_follow_the_locale(client, make_run, code, day, seats):
    run = make_run(start=FIRST_DAY, capacity=20)
    html = text(client.get(f"/courses/{run.course.code}", headers={"Accept-Language": code}))
    assert day in html
    assert seats in html


def test_one_seat_left_takes_the_singular(client, db, make_user, make_run):
    run = make_run(start=FIRST_DAY, capacity=2)
    enrolment.enrol(make_user(), run, NOW)
    db.session.commit()
    html = text(client.get(f"/courses/{run.course.code}", headers={"Accept-Language": "bg"}))
    assert "остава 1 място" in html


def test_form_errors_are_translated(client):
    response = client.submit(
        "/login", {"email": "", "password": ""}, headers={"Accept-Language": "hu"}
    )
    assert "Adja meg az e-mail-címét." in text(response)
    response = client.submit(
        "/login", {"email": "", "password": ""}, headers={"Accept-Language": "bg"}
    )
    assert "Въведете своя имейл адрес." in text(response)


# ---------------------------------------------------------------- e-mails


def subject_of(db, user) -> str:
    return db.session.scalars(
        sa.select(Notification.subject).where(Notification.user_id == user.id)
    ).one()


def body_of(db, user) -> str:
    return db.session.scalars(
        sa.select(Notification.body).where(Notification.user_id == user.id)
    ).one()


def test_enrolment_email_is_in_the_recipients_language(db, make_user, make_run):
    run = make_run(start=FIRST_DAY, language="hu")
    trainee = make_user(locale="bg")
    enrolment.enrol(trainee, run, NOW)
    db.session.commit()
    assert subject_of(db, trainee) == f"Мястото ви е потвърдено: {run.course.title}"
    body = body_of(db, trainee)
    assert "понеделник, 15 март 2027\u202fг." in body  # dates too, not only the words
    assert "Здравейте, " in body


def test_email_falls_back_to_the_runs_language(db, make_user, make_run):
    run = make_run(start=FIRST_DAY, language="bg")
    trainee = make_user()  # no language chosen in the profile
    assert trainee.locale is None
    enrolment.enrol(trainee, run, NOW)
    db.session.commit()
    assert subject_of(db, trainee).startswith("Мястото ви е потвърдено:")


def test_email_ignores_the_language_of_whoever_caused_it(client, auth, db, make_user, make_run):
    """An administrator working in Bulgarian enrols a Hungarian: the trainee reads Hungarian."""
    admin = make_user(role="admin", locale="bg")
    trainee = make_user(locale="hu", email="kovacs.anna@example.org")
    run = make_run(start=FIRST_DAY, language="bg")
    auth.login(admin)
    client.submit(
        f"/manage/runs/{run.id}/roster/enrol",
        {"email": trainee.email},
        page=f"/manage/runs/{run.id}/roster",
    )
    assert subject_of(db, trainee) == f"Helye visszaigazolva: {run.course.title}"
    assert "2027. március 15., hétfő" in body_of(db, trainee)


@pytest.mark.parametrize("code, mark", [("en", "."), ("hu", ","), ("bg", ",")])
def test_measured_numbers_carry_the_readers_decimal_mark(app, code, mark):
    """Percentages and averages (survey results, charts) are written as the reader writes."""
    from flask_babel import force_locale

    from lms.templating import format_number
    with app.test_request_context(), force_locale(code):
        assert format_number(75.5) == f"75{mark}5" and format_number(None) == ""
        assert app.jinja_env.from_string("{{ 4.25|number }}").render() == f"4{mark}25"


@pytest.mark.parametrize("code", ["en", "hu", "bg"])
@pytest.mark.parametrize("where", ["Europe/Budapest", "Europe/Sofia", "America/New_York"])
def test_moments_read_as_babel_writes_them_in_the_readers_zone(app, code, where):
    """The audit log's and lists' moments (`|datetime`, made from a cached day and clock
    time) read exactly as Babel's own short date and time, across DST changes."""
    import random
    from datetime import timedelta

    import pytz
    from flask_babel import _get_current_context, force_locale, format_datetime

    from lms.templating import format_when
    moments = random.Random(13)
    with app.test_request_context(), force_locale(code):
        _get_current_context().babel_tzinfo = pytz.timezone(where)
        for _ in range(300):
            moment = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(
                minutes=moments.randrange(60 * 24 * 400))
            assert format_when(moment) == format_datetime(moment, "short")
        assert format_when(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == format_datetime(
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "short")
        assert format_when(None) == ""


@pytest.mark.parametrize("code", ["en", "hu", "bg"])
def test_hours_read_as_babel_writes_them(app, code):
    """`|hours` (kept per number and language) reads as Babel's own decimal format."""
    from decimal import Decimal

    from flask_babel import force_locale, format_decimal

    from lms.templating import format_hours
    values = [6, 6.0, Decimal("6.00"), Decimal("5.5"), Decimal("5.50"), 1234.567,
              Decimal("0.25"), 0, Decimal("1.005")]
    with app.test_request_context(), force_locale(code):
        for value in values:
            assert format_hours(value) == format_decimal(value, format="#,##0.##"), value
        assert format_hours(None) == ""


@pytest.mark.parametrize("code", ["en", "hu", "bg"])
@pytest.mark.parametrize("where", ["Europe/Budapest", "Europe/Sofia", "America/New_York"])
def test_a_moments_day_reads_as_babel_writes_it_in_the_readers_zone(app, code, where):
    """`|day` of a moment (a roster's "enrolled at") is its day in the reader's zone,
    exactly as Flask-Babel's format_date gives it, around midnight and DST changes."""
    import random
    from datetime import timedelta

    import pytz
    from flask_babel import _get_current_context, force_locale, format_date

    from lms.templating import format_day
    moments = random.Random(7)
    with app.test_request_context(), force_locale(code):
        _get_current_context().babel_tzinfo = pytz.timezone(where)
        for _ in range(200):
            moment = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(
                minutes=moments.randrange(60 * 24 * 400))
            for style in ("short", "medium", "long", "full"):
                assert format_day(moment, style) == format_date(moment, style), moment
        late = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # already the 25th in Sofia
        assert format_day(late) == format_date(late)


def test_url_patterns_write_the_links_url_for_writes(app):
    """Row links made from a page's URL pattern are the very URLs url_for makes, for
    ids, course codes, and values url_for must escape or refuse to write plainly."""
    from flask import url_for

    from lms.templating import UrlPattern
    with app.test_request_context():
        run = UrlPattern("manage.run", "run_id")
        for run_id in (1, 42, 987654321, 10**20):
            assert run(run_id) == url_for("manage.run", run_id=run_id)
        schedule = UrlPattern("manage.edit_run", "course")  # an id in the query string
        assert schedule(7) == url_for("manage.edit_run", course=7)
        course = UrlPattern("courses.course", "code")
        for code in ("KAP-60", "kap_60.v2", "Kép 60", "a/b?c#d", ".hidden", "ÁRVÍZ"):
            assert course(code) == url_for("courses.course", code=code), code
        other = UrlPattern("manage.run", "run_id", _anchor="roster")
        assert other(5) == url_for("manage.run", run_id=5, _anchor="roster")


def test_templates_url_for_writes_what_url_for_writes_wherever_the_site_is_served(app):
    """The templates' url_for remembers the header's and navigation's links, but each
    is the URL url_for makes: under another path prefix, with query values,
    for a True that is not a 1, and a link that cannot be built still fails."""
    import pytest
    from flask import url_for
    from werkzeug.routing import BuildError

    template_url_for = app.jinja_env.globals["url_for"]
    cases = [("manage.runs", {}), ("static", {"filename": "css/app.css"}),
             ("manage.users", {"q": "Nagy"}), ("manage.users", {"q": True}),
             ("manage.users", {"q": 1}), ("manage.run", {"run_id": 5}),
             ("manage.run", {"run_id": 5, "_anchor": "roster"})]
    for prefix in ("", "/forras", "/other"):
        with app.test_request_context(base_url=f"http://localhost{prefix}/"):
            for _ in range(2):  # the second time from what was remembered
                for endpoint, values in cases:
                    assert template_url_for(endpoint, **values) == url_for(endpoint, **values)
            assert template_url_for("manage.runs").startswith(f"{prefix}/manage/")
            with pytest.raises(BuildError):
                template_url_for("manage.run")  # its run_id missing
    with app.test_request_context(base_url="http://localhost/forras/"):
        html = app.jinja_env.from_string("{{ url_for('manage.runs') }}").render()
        assert html == "/forras/manage/runs/"
