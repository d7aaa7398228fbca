"""Every rule that asks "now" asks it on the clock of the run's centre.

Budapest is UTC+1 in winter and UTC+2 in summer; Sofia (and Razgrad) one hour
ahead of it all year. Summer time began on 28 March 2027 and ends on 31 October
2027 (at 01:00 UTC in both). The same instant is a different time, sometimes a
different day, at the two centres; these tests put the rules on the edges.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from lms.attendance.models import AttendanceStatus
from lms.attendance.services import MarkInput, is_locked, mark_session
from lms.attendance.trainer_sessions import trainer_sessions
from lms.auth.models import Role
from lms.courses import services as courses
from lms.courses.models import Session
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.enrolment.services import cancel_enrolment, dashboard, enrol, window_is_open
from lms.errors import DomainError
from lms.trainers.models import TrainerRole
from lms.trainers.services import assign_trainer, save_session
from tests.conftest import BUDAPEST, SOFIA, at

SUMMER_DAY = date(2027, 6, 15)  # Budapest UTC+2, Sofia UTC+3
WINTER_DAY = date(2027, 12, 1)  # Budapest UTC+1, Sofia UTC+2


@pytest.fixture
def centres(make_centre):
    return {
        "budapest": make_centre(city="Budapest", country="HU"),
        "razgrad": make_centre(city="Разград", country="BG"),
    }


@pytest.fixture
def twin_runs(centres, make_course, make_run):
    """The same course, on the same dates and wall-clock times, in Budapest and Razgrad."""

    def make(first_day: date, **fields):
        course = make_course(total_hours=12)
        plan = [
            (first_day, time(9), time(15), 360),
            (first_day + timedelta(days=1), time(9), time(15), 360),
        ]
        return {
            where: make_run(course=course, centre=centre, sessions=plan, **fields)
            for where, centre in centres.items()
        }

    return make


def test_a_centre_takes_the_zone_of_its_country(centres):
    assert centres["budapest"].time_zone == "Europe/Budapest"
    assert centres["razgrad"].time_zone == "Europe/Sofia"


@pytest.mark.parametrize(
    "day, budapest_utc, sofia_utc",
    [
        (date(2027, 3, 27), time(8), time(7)),  # the last winter day
        (date(2027, 3, 28), time(7), time(6)),  # summer time from 01:00 UTC
        (date(2027, 10, 30), time(7), time(6)),  # the last summer day
        (date(2027, 10, 31), time(8), time(7)),  # winter time again
    ],
)
def test_a_session_starts_at_its_centres_wall_clock_across_summer_time(
    twin_runs, day, budapest_utc, sofia_utc
):
    runs = twin_runs(day)
    assert runs["budapest"].sessions[0].starts == datetime.combine(day, budapest_utc, UTC)
    assert runs["razgrad"].sessions[0].starts == datetime.combine(day, sofia_utc, UTC)
    assert runs["razgrad"].sessions[0].ends - runs["razgrad"].sessions[0].starts == timedelta(
        hours=6
    )


def test_enrolment_closes_at_midnight_at_the_runs_centre(db, twin_runs, make_user):
    runs = twin_runs(SUMMER_DAY, enrolment_closes=None)
    # 21:30 UTC on the eve: 00:30 of the first day in Razgrad, still 23:30 in Budapest.
    moment = datetime.combine(SUMMER_DAY - timedelta(days=1), time(21, 30), UTC)
    assert window_is_open(runs["budapest"], moment)
    assert not window_is_open(runs["razgrad"], moment)

    trainee = make_user()
    with pytest.raises(DomainError) as refused:
        enrol(trainee, runs["razgrad"], moment)
    assert "Jun 14, 2027" in str(refused.value)  # the eve: the last day one could enrol
    assert enrol(trainee, runs["budapest"], moment).state == EnrolmentState.ENROLLED


def test_the_closing_date_is_a_whole_day_at_the_centre(db, twin_runs, make_user):
    closes = SUMMER_DAY - timedelta(days=5)
    runs = twin_runs(SUMMER_DAY, enrolment_closes=closes)
    last_minute = at(closes, time(23, 59), SOFIA)
    next_minute = at(closes + timedelta(days=1), time(0, 0), SOFIA)
    assert window_is_open(runs["razgrad"], last_minute)
    assert not window_is_open(runs["razgrad"], next_minute)
    assert window_is_open(runs["budapest"], next_minute)  # 23:00 in Budapest


def test_a_trainee_may_cancel_until_the_first_session_starts_at_the_centre(
    db, twin_runs, make_user
):
    runs = twin_runs(SUMMER_DAY)
    before = at(SUMMER_DAY - timedelta(days=10), time(8), SOFIA)
    trainees = [make_user() for _ in range(3)]
    places = {
        who: enrol(trainee, runs[where], before)
        for who, (trainee, where) in zip(
            ("sofia_early", "sofia_late", "budapest"),
            zip(trainees, ("razgrad", "razgrad", "budapest"), strict=True),
            strict=True,
        )
    }
    db.session.commit()

    # 08:59 in Razgrad: not started, the trainee may still cancel.
    cancel_enrolment(places["sofia_early"], trainees[0], at(SUMMER_DAY, time(8, 59), SOFIA))
    # 09:00 in Razgrad (06:00 UTC) it has started there...
    started = at(SUMMER_DAY, time(9), SOFIA)
    assert runs["razgrad"].has_started(started)
    with pytest.raises(DomainError, match="has started"):
        cancel_enrolment(places["sofia_late"], trainees[1], started)
    # ... while in Budapest it is 08:00 and the same course has not.
    assert not runs["budapest"].has_started(started)
    assert cancel_enrolment(places["budapest"], trainees[2], started).state == (
        EnrolmentState.CANCELLED
    )


def test_a_run_started_at_the_centre_takes_nobody_even_from_an_administrator(
    db, twin_runs, make_user
):
    runs = twin_runs(WINTER_DAY)
    admin = make_user(role=Role.ADMIN)
    started = at(WINTER_DAY, time(9), SOFIA)  # 07:00 UTC, 08:00 in Budapest
    with pytest.raises(DomainError, match="already started"):
        enrol(make_user(), runs["razgrad"], started, by=admin)
    assert enrol(make_user(), runs["budapest"], started, by=admin).state == (
        EnrolmentState.ENROLLED
    )


@pytest.fixture
def marking(db, make_user):
    """A trainer assigned to a run, and one enrolled trainee to mark."""

    def make(run):
        trainer = make_user(role=Role.TRAINER)
        trainee = make_user()
        enrolment = enrol(trainee, run, at(run.first_date - timedelta(days=10), time(8)))
        assign_trainer(run, trainer, TrainerRole.LEAD)
        db.session.commit()
        return trainer, [MarkInput(enrolment.id, AttendanceStatus.PRESENT, None, "")]

    return make


def test_attendance_is_marked_from_the_sessions_start_at_its_centre(db, twin_runs, marking):
    run = twin_runs(SUMMER_DAY)["razgrad"]
    trainer, items = marking(run)
    session = run.sessions[0]
    with pytest.raises(DomainError) as refused:
        mark_session(session, items, trainer, at(SUMMER_DAY, time(8, 59), SOFIA))
    assert "09:00" in str(refused.value)  # the centre's time, not Budapest's 08:00
    marks = mark_session(session, items, trainer, at(SUMMER_DAY, time(9), SOFIA))
    assert [m.status for m in marks] == [AttendanceStatus.PRESENT]
    assert marks[0].marked_at == datetime.combine(SUMMER_DAY, time(6), UTC)


def test_the_attendance_lock_falls_at_midnight_at_the_centre(app, db, twin_runs, marking):
    runs = twin_runs(WINTER_DAY)
    lock_day = WINTER_DAY + timedelta(days=app.config["ATTENDANCE_LOCK_DAYS"])
    # 22:30 UTC on the lock day: past midnight in Razgrad, 23:30 in Budapest.
    moment = datetime.combine(lock_day, time(22, 30), UTC)
    assert is_locked(runs["razgrad"].sessions[0], moment)
    assert not is_locked(runs["budapest"].sessions[0], moment)

    trainer, items = marking(runs["razgrad"])
    with pytest.raises(DomainError, match="locked on"):
        mark_session(runs["razgrad"].sessions[0], items, trainer, moment)
    trainer, items = marking(runs["budapest"])
    assert mark_session(runs["budapest"].sessions[0], items, trainer, moment)


def test_a_session_leaves_the_trainers_to_mark_list_when_it_locks_at_its_centre(
        app, db, twin_runs, marking):
    runs = twin_runs(WINTER_DAY)
    trainers = {where: marking(run)[0] for where, run in runs.items()}
    lock_day = WINTER_DAY + timedelta(days=app.config["ATTENDANCE_LOCK_DAYS"])
    moment = datetime.combine(lock_day, time(22, 30), UTC)  # 00:30 Razgrad, 23:30 Budapest
    razgrad = trainer_sessions(trainers["razgrad"], moment)
    budapest = trainer_sessions(trainers["budapest"], moment)
    # Both runs' two sessions are unmarked; the first locked in Razgrad at midnight.
    assert (razgrad.unmarked_count, razgrad.locked_count) == (1, 1)
    assert (budapest.unmarked_count, budapest.locked_count) == (2, 0)
    assert razgrad.locked == {runs["razgrad"].sessions[0].id}
    assert budapest.unmarked == {s.id for s in runs["budapest"].sessions}


def test_the_catalogue_drops_a_run_when_its_last_day_ends_at_its_centre(twin_runs):
    runs = twin_runs(WINTER_DAY)
    last_day = runs["razgrad"].sessions[-1].date

    def listed(now):
        return {
            e.run.id for g in courses.catalogue(courses.CatalogueFilters(), now).groups.values()
            for e in g
        }

    evening = datetime.combine(last_day, time(21, 30), UTC)  # 23:30 Razgrad, 22:30 Budapest
    assert {runs["razgrad"].id, runs["budapest"].id} <= listed(evening)
    midnight_in_razgrad = datetime.combine(last_day, time(22, 30), UTC)
    assert runs["razgrad"].id not in listed(midnight_in_razgrad)
    assert runs["budapest"].id in listed(midnight_in_razgrad)
    assert runs["budapest"].id not in listed(datetime.combine(last_day, time(23, 30), UTC))


def test_the_waitlist_keeps_its_order_through_the_repeated_autumn_hour(
    db, make_user, make_course, make_run, centres
):
    """02:30 summer time comes before 02:10 winter time on 31 October in Budapest."""
    run = make_run(
        course=make_course(total_hours=6),
        centre=centres["budapest"],
        capacity=1,
        sessions=[(date(2027, 11, 15), time(9), time(15), 360)],
    )
    holder, first, second = make_user(), make_user(), make_user()
    enrol(holder, run, datetime(2027, 10, 30, 12, tzinfo=UTC))
    first_at = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second_at = datetime(2027, 10, 31, 1, 10, tzinfo=UTC)  # 02:10 CET, 40 minutes later
    assert first_at.astimezone(BUDAPEST).time() > second_at.astimezone(BUDAPEST).time()
    enrol(first, run, first_at)
    enrol(second, run, second_at)
    db.session.commit()
    db.session.expire_all()

    waiting = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.state == EnrolmentState.WAITLISTED)
        .order_by(Enrolment.waitlisted_at)
    ).all()
    assert [e.user_id for e in waiting] == [first.id, second.id]
    assert waiting[0].waitlisted_at == first_at  # read back aware, in UTC
    assert waiting[0].waitlisted_at.tzinfo is not None

    seat = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == holder.id))
    cancel_enrolment(seat, holder, datetime(2027, 11, 1, 8, tzinfo=UTC))
    db.session.commit()
    promoted = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.state == EnrolmentState.ENROLLED)
    )
    assert promoted.user_id == first.id


def test_a_moment_without_a_zone_is_refused_rather_than_guessed(db, twin_runs):
    session = twin_runs(WINTER_DAY)["budapest"].sessions[0]
    session.updated_at = datetime(2027, 1, 1, 12)  # naive: which zone?
    with pytest.raises(sa.exc.StatementError, match="timezone-aware"):
        db.session.flush()
    db.session.rollback()


def test_moments_come_back_in_utc_whatever_zone_they_were_given_in(db, twin_runs):
    session = twin_runs(WINTER_DAY)["razgrad"].sessions[0]
    session.updated_at = datetime(2027, 7, 1, 12, tzinfo=SOFIA)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Session, session.id).updated_at
    assert stored == datetime(2027, 7, 1, 9, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_a_sessions_times_name_the_centres_zone_for_a_reader_elsewhere(client, twin_runs):
    run = twin_runs(WINTER_DAY)["razgrad"]
    page = client.get(f"/courses/{run.course.code}", headers={"Accept-Language": "hu"})
    html = page.get_data(as_text=True)
    # 09:00–15:00 in Razgrad; a Hungarian reader is told it is 08:00–14:00 for them.
    assert "09:00–15:00" in html
    assert "08:00–14:00" in html
    assert "kelet-európai" in html.lower()

    # A Bulgarian reader is on Razgrad's clock: no note.
    html = client.get(f"/courses/{run.course.code}", headers={"Accept-Language": "bg"}).get_data(
        as_text=True
    )
    assert "09:00–15:00" in html
    assert "08:00–14:00" not in html


@pytest.fixture
def run_at(centres, make_course, make_run):
    """A run of one session on WINTER_DAY from `starts` to `ends` (whole hours) at a centre."""

    def make(where, starts, ends):
        minutes = (ends.hour - starts.hour) * 60
        return make_run(
            course=make_course(total_hours=minutes // 60),
            centre=centres[where],
            sessions=[(WINTER_DAY, starts, ends, minutes)],
        )

    return make


def test_enrolments_clash_when_they_meet_in_time_not_on_the_wall_clock(db, run_at, make_user):
    """09:00–11:00 in Razgrad is 08:00–10:00 in Budapest."""
    day = WINTER_DAY
    morning_in_razgrad = run_at("razgrad", time(9), time(11))
    eight_in_budapest = run_at("budapest", time(8), time(9))  # 09:00–10:00 in Razgrad
    ten_in_budapest = run_at("budapest", time(10), time(11))  # 11:00–12:00 in Razgrad
    now = at(day - timedelta(days=20))
    trainee = make_user()
    enrol(trainee, morning_in_razgrad, now)
    with pytest.raises(DomainError, match="overlap"):
        enrol(trainee, eight_in_budapest, now)
    assert enrol(trainee, ten_in_budapest, now).state == EnrolmentState.ENROLLED


def test_a_trainer_is_double_booked_only_when_the_sessions_meet_in_time(db, run_at, make_user):
    trainer = make_user(role=Role.TRAINER)
    assign_trainer(run_at("razgrad", time(14), time(17)), trainer, TrainerRole.LEAD)
    # 12:00–14:00 in Budapest is 13:00–15:00 in Razgrad: a clash.
    with pytest.raises(DomainError):
        assign_trainer(run_at("budapest", time(12), time(14)), trainer, TrainerRole.LEAD)
    # 16:00–19:00 in Budapest is 17:00–20:00 in Razgrad: free.
    assert assign_trainer(run_at("budapest", time(16), time(19)), trainer, TrainerRole.LEAD)


def test_a_trainees_next_sessions_are_in_the_order_they_happen(
    db, centres, make_user, make_course, make_run
):
    plan = [(WINTER_DAY, time(8, 30), time(9, 30), 60)]
    in_razgrad = make_run(
        course=make_course(total_hours=1), centre=centres["razgrad"], sessions=plan
    )
    in_budapest = make_run(  # an hour later: 09:30–10:30 in Razgrad
        course=make_course(total_hours=1), centre=centres["budapest"], sessions=plan
    )
    trainee = make_user()
    now = at(WINTER_DAY - timedelta(days=20))
    enrol(trainee, in_razgrad, now)
    enrol(trainee, in_budapest, now)
    upcoming = dashboard(trainee, at(WINTER_DAY, time(7), BUDAPEST)).upcoming
    assert [session.run_id for session, _ in upcoming] == [in_razgrad.id, in_budapest.id]


def test_todays_sessions_are_those_of_the_day_at_their_centre(
    db, centres, make_user, make_course, make_run
):
    run = make_run(
        course=make_course(total_hours=6),
        centre=centres["razgrad"],
        sessions=[(WINTER_DAY, time(9), time(15), 360)],
    )
    trainee = make_user()
    enrol(trainee, run, at(WINTER_DAY - timedelta(days=20)))
    # The evening after the session: 23:30 in Budapest is already the next day in Razgrad.
    evening = at(WINTER_DAY, time(23, 30), BUDAPEST)
    assert dashboard(trainee, evening).upcoming == []
    assert [e.run_id for e in dashboard(trainee, evening).past] == [run.id]


@pytest.mark.parametrize("locale, listed", [("hu", False), ("bg", True)])
def test_the_audit_logs_dates_are_days_where_the_reader_is(
    client, auth, make_user, make_centre, locale, listed
):
    # 23:30 on 1 December in Budapest is already 00:30 on 2 December in Sofia.
    with time_machine.travel(datetime(2027, 12, 1, 22, 30, tzinfo=UTC), tick=False):
        make_centre(city="Plovdiv")
    auth.login(make_user(role="admin", locale=locale))
    html = client.get("/manage/audit?entity=Centre&since=2027-12-02&until=2027-12-02").get_data(
        as_text=True
    )
    assert ("Plovdiv" in html) is listed


def test_a_person_may_choose_the_zone_they_read_times_in(
    client, auth, db, make_user, twin_runs
):
    run = twin_runs(WINTER_DAY)["razgrad"]
    reader = make_user(locale="hu")
    auth.login(reader)
    page = f"/courses/{run.course.code}"
    assert "08:00–14:00" in client.get(page).get_data(as_text=True)  # Budapest, from hu

    form = client.get("/profile").get_data(as_text=True)
    assert 'name="profile-time_zone"' in form
    data = {
        "profile-full_name": reader.full_name,
        "profile-locale": "hu",
        "profile-time_zone": "Europe/Sofia",
    }
    client.submit("/profile", data)
    db.session.refresh(reader)
    assert reader.time_zone == "Europe/Sofia"
    assert "08:00–14:00" not in client.get(page).get_data(as_text=True)  # Razgrad's clock

    data["profile-time_zone"] = "Mars/Olympus_Mons"
    html = client.submit("/profile", data).get_data(as_text=True)
    assert 'id="profile-time_zone-error"' in html
    db.session.refresh(reader)
    assert reader.time_zone == "Europe/Sofia"


@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)], ids=["spring", "autumn"])
@pytest.mark.parametrize("where, clock", [("budapest", BUDAPEST), ("razgrad", SOFIA)])
def test_on_the_days_the_clocks_change_each_rule_turns_at_the_centres_minute(
    db, twin_runs, marking, day, where, clock
):
    run = twin_runs(day, enrolment_closes=None)[where]
    session = run.sessions[0]
    minute_before, start = at(day, time(8, 59), clock), at(day, time(9), clock)
    assert start - minute_before == timedelta(minutes=1)
    assert not run.has_started(minute_before) and run.has_started(start)
    # Enrolment ended with the eve, at midnight there.
    assert window_is_open(run, at(day - timedelta(days=1), time(23, 59), clock))
    assert not window_is_open(run, at(day, time(0, 0), clock))

    trainer, items = marking(run)
    with pytest.raises(DomainError, match="from the start of the session"):
        mark_session(session, items, trainer, minute_before)
    assert mark_session(session, items, trainer, start)


@pytest.mark.parametrize("locale, shown", [("hu", "2027-11-20 23:30"), ("bg", "2027-11-21 00:30")])
def test_the_roster_csv_gives_moments_on_the_readers_clock(
    client, auth, make_user, twin_runs, locale, shown
):
    run = twin_runs(WINTER_DAY)["budapest"]
    enrol(make_user(full_name="Petrova Maria"), run, datetime(2027, 11, 20, 22, 30, tzinfo=UTC))
    auth.login(make_user(role="admin", locale=locale))
    rows = client.get(f"/manage/runs/{run.id}/roster.csv").get_data(as_text=True).splitlines()
    mine = next(row for row in rows if "Petrova Maria" in row)
    assert shown in mine


def test_a_new_session_may_not_double_book_the_runs_trainer_in_another_zone(
    db, run_at, centres, make_user, make_course, make_run
):
    trainer = make_user(role=Role.TRAINER)
    assign_trainer(run_at("razgrad", time(14), time(17)), trainer, TrainerRole.LEAD)
    draft = make_run(
        course=make_course(total_hours=6),
        centre=centres["budapest"],
        publish=False,
        sessions=[(WINTER_DAY - timedelta(days=1), time(9), time(12), 180)],
    )
    assign_trainer(draft, trainer, TrainerRole.LEAD)  # on all its sessions, new ones too

    def add(starts, ends):
        return save_session(
            draft, None, day=WINTER_DAY, starts_at=starts, ends_at=ends, minutes=180, topic=""
        )

    with pytest.raises(DomainError):
        add(time(12), time(15))  # 13:00–16:00 in Razgrad
    assert add(time(16), time(19)).starts == datetime.combine(WINTER_DAY, time(15), UTC)
