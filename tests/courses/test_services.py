from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from lms.courses import services
from lms.courses.models import CourseStatus, Run, RunStatus
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.errors import DomainError
from tests.conftest import at

TODAY = date.today()


def test_fold_ignores_case_and_accents():
    assert services.fold("Közösségi ALAPÚ Szolgáltatások") == "kozossegi alapu szolgaltatasok"
    assert "kozosseg" in services.fold("Közösségfejlesztés")
    assert services.fold("Работа СЪС семейства") == "работа със семеиства"


def test_catalogue_groups_runs_by_format(make_course, make_run):
    long = make_run(course=make_course(total_hours=60, title="Közösségi alapú szolgáltatások"))
    short = make_run(course=make_course(total_hours=24))
    odd = make_run(course=make_course(total_hours=30))
    groups = services.catalogue(services.CatalogueFilters(), at(TODAY)).groups
    assert [e.run.id for e in groups["60"]] == [long.id]
    assert [e.run.id for e in groups["24"]] == [short.id]
    assert [e.run.id for e in groups["other"]] == [odd.id]
    entry = groups["60"][0]
    assert entry.first_date == long.sessions[0].date
    assert entry.last_date == long.sessions[-1].date


def test_catalogue_hides_drafts_cancelled_unpublished_and_ended_runs(
    db, make_user, make_course, make_run
):
    visible = make_run()
    make_run(publish=False)
    cancelled = make_run()
    services.cancel_run(cancelled, make_user(role="admin"), "Trainer ill")
    hidden_course = make_run(course=make_course())
    services.set_course_status(hidden_course.course, CourseStatus.ARCHIVED)
    ended = make_run(start=TODAY + timedelta(days=5))
    db.session.commit()
    runs = [
        e.run.id
        for group in services.catalogue(services.CatalogueFilters(), at(TODAY)).groups.values()
        for e in group
    ]
    assert sorted(runs) == [visible.id, ended.id]
    later = TODAY + timedelta(days=60)
    assert ended.id not in [
        e.run.id for e in services.catalogue(services.CatalogueFilters(), at(later)).groups["24"]
    ]


def test_catalogue_filters(make_centre, make_course, make_run):
    szolnok = make_centre(city="Szolnok", region="Jász-Nagykun-Szolnok")
    razgrad = make_centre(city="Разград", region="Разград", country="BG")
    debt = make_run(
        course=make_course(
            total_hours=60,
            title="Pénzügyi tudatosság",
            summary="Adósságkezelés és háztartási költségvetés",
        ),
        centre=szolnok,
        start=TODAY + timedelta(days=40),
    )
    family = make_run(
        course=make_course(title="Работа със семейства в риск"),
        centre=razgrad,
        start=TODAY + timedelta(days=100),
    )

    def ids(**kw):
        groups = services.catalogue(services.CatalogueFilters(**kw), at(TODAY)).groups
        return sorted(e.run.id for g in groups.values() for e in g)

    assert ids(format="60") == [debt.id]
    assert ids(format="24") == [family.id]
    assert ids(format="other") == []
    assert ids(centre_id=razgrad.id) == [family.id]
    assert ids(region="Jász-Nagykun-Szolnok") == [debt.id]
    assert ids(q="adossag") == [debt.id]  # summary, no accents, any case
    assert ids(q="СЕМЕЙСТВА") == [family.id]
    assert ids(q="tudatosság kezelés") == [debt.id]  # every word must match
    assert ids(q="100%") == []
    first_month = debt.sessions[0].date.replace(day=1)
    assert debt.id in ids(month=first_month)
    assert family.id not in ids(month=first_month)


def test_publish_needs_sessions_adding_up_to_course_hours(make_course, make_run):
    course = make_course(total_hours=24)
    start = TODAY + timedelta(days=20)
    run = make_run(
        course=course,
        publish=False,
        sessions=[
            (start, time(9), time(15), 360),
            (start + timedelta(days=1), time(9), time(15), 360),
        ],
    )
    problems = services.publish_problems(run)
    assert any("12" in p and "24" in p for p in problems)
    with pytest.raises(DomainError):
        services.publish_run(run)
    assert run.status == RunStatus.DRAFT


def test_publish_refuses_empty_run_and_unpublished_course(make_course, make_run):
    run = make_run(course=make_course(status=CourseStatus.DRAFT), publish=False, sessions=[])
    problems = services.publish_problems(run)
    assert "The course is not published yet." in problems
    assert "The run has no sessions yet." in problems


def test_publish_exactly_at_total_hours_with_quarter_hours(make_course, make_run):
    course = make_course(total_hours=24)
    day = TODAY + timedelta(days=20)
    # 7.75 + 8.25 + 8 = 24 h exactly
    run = make_run(
        course=course,
        publish=False,
        sessions=[
            (day, time(8, 0), time(15, 45), 465),
            (day + timedelta(days=1), time(8, 0), time(16, 15), 495),
            (day + timedelta(days=2), time(8, 0), time(16, 0), 480),
        ],
    )
    assert services.publish_problems(run) == []
    services.publish_run(run)
    assert run.status == RunStatus.PUBLISHED
    assert str(run.scheduled_hours) == "24"


def test_sessions_may_not_overlap_but_may_touch(make_run):
    run = make_run(publish=False, sessions=[])
    day = TODAY + timedelta(days=40)
    services.save_session(
        run, None, day=day, starts_at=time(9), ends_at=time(12), minutes=None, topic="Bevezetés"
    )
    touching = services.save_session(
        run, None, day=day, starts_at=time(12), ends_at=time(15), minutes=None
    )
    assert touching.minutes == 180
    with pytest.raises(DomainError) as refused:
        services.save_session(
            run, None, day=day, starts_at=time(11), ends_at=time(13), minutes=None
        )
    assert "Bevezetés" in refused.value.message
    assert "09:00" in refused.value.message
    assert refused.value.field == "starts_at"
    assert len(run.sessions) == 2


def test_credited_hours_cannot_exceed_the_session_time(make_run):
    run = make_run(publish=False, sessions=[])
    day = TODAY + timedelta(days=40)
    with pytest.raises(DomainError) as refused:
        services.save_session(
            run, None, day=day, starts_at=time(9), ends_at=time(10), minutes=8 * 60
        )
    assert refused.value.field == "hours"
    lunch_excluded = services.save_session(
        run, None, day=day, starts_at=time(9), ends_at=time(15, 30), minutes=6 * 60
    )
    assert str(lunch_excluded.hours) == "6"


def test_session_must_end_after_start_and_follow_enrolment_window(make_run):
    run = make_run(publish=False, sessions=[], enrolment_closes=TODAY + timedelta(days=10))
    with pytest.raises(DomainError) as refused:
        services.save_session(
            run,
            None,
            day=TODAY + timedelta(days=20),
            starts_at=time(12),
            ends_at=time(9),
            minutes=None,
        )
    assert refused.value.field == "ends_at"
    with pytest.raises(DomainError) as refused:
        services.save_session(
            run,
            None,
            day=TODAY + timedelta(days=10),
            starts_at=time(9),
            ends_at=time(12),
            minutes=None,
        )
    assert refused.value.field == "date"
    assert run.sessions == []


def test_window_must_close_before_first_session(make_run):
    run = make_run(publish=False)
    first = run.first_date
    with pytest.raises(DomainError) as refused:
        services.save_run(
            run, run.course, run.centre, capacity=20, enrolment_opens=None, enrolment_closes=first
        )
    assert refused.value.field == "enrolment_closes"
    with pytest.raises(DomainError):
        services.save_run(
            run,
            run.course,
            run.centre,
            capacity=20,
            enrolment_opens=first - timedelta(days=3),
            enrolment_closes=first - timedelta(days=5),
        )


def test_published_run_sessions_can_move_but_not_change_hours_or_be_added(make_run):
    run = make_run()
    session = run.sessions[0]
    moved_to = run.last_date + timedelta(days=7)
    services.save_session(
        run,
        session,
        day=moved_to,
        starts_at=time(10),
        ends_at=time(16),
        minutes=session.minutes,
        topic="Moved",
    )
    assert run.last_date == moved_to
    with pytest.raises(DomainError) as refused:
        services.save_session(
            run, session, day=moved_to, starts_at=time(10), ends_at=time(16), minutes=60
        )
    assert refused.value.field == "hours"
    with pytest.raises(DomainError):
        services.save_session(
            run,
            None,
            day=moved_to + timedelta(days=1),
            starts_at=time(10),
            ends_at=time(12),
            minutes=None,
        )
    with pytest.raises(DomainError):
        services.remove_session(run, run.sessions[0])


def test_capacity_at_least_one_and_not_below_seats_taken(db, make_run):
    run = make_run()
    with pytest.raises(DomainError) as refused:
        services.save_run(run, run.course, run.centre, capacity=0)
    assert refused.value.field == "capacity"
    run.enrolled_count = 5
    db.session.flush()
    with pytest.raises(DomainError) as refused:
        services.save_run(run, run.course, run.centre, capacity=4)
    assert "5" in refused.value.message
    assert services.save_run(run, run.course, run.centre, capacity=5).capacity == 5


def test_cancelling_keeps_the_run_and_its_enrolments(db, make_user, make_run):
    admin, trainee = make_user(role="admin"), make_user()
    run = make_run()
    db.session.add(Enrolment(run=run, user=trainee, state=EnrolmentState.ENROLLED))
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.cancel_run(run, admin, "  ")
    assert refused.value.field == "reason"
    services.cancel_run(run, admin, "The venue flooded")
    db.session.commit()
    kept = db.session.get(Run, run.id)
    assert kept.status == RunStatus.CANCELLED
    assert kept.cancel_reason == "The venue flooded"
    assert kept.cancelled_by == admin
    assert db.session.query(Enrolment).filter_by(run_id=run.id).count() == 1
    with pytest.raises(DomainError):
        services.cancel_run(kept, admin, "again")


def test_course_code_unique_and_modules_within_hours(make_course):
    make_course(code="KAP-60", total_hours=60)
    with pytest.raises(DomainError) as refused:
        make_course(code="kap-60")
    assert refused.value.field == "code"
    with pytest.raises(DomainError) as refused:
        make_course(total_hours=24, modules=[("A", 20 * 60), ("B", 5 * 60)])
    assert refused.value.field == "modules"
    course = make_course(total_hours=24, modules=[("A", 16 * 60), ("B", 8 * 60)])
    assert [(m.title, str(m.hours)) for m in course.modules] == [("A", "16"), ("B", "8")]


def test_course_hours_fixed_once_runs_are_published(make_run):
    run = make_run()
    course = run.course
    with pytest.raises(DomainError) as refused:
        services.save_course(
            course,
            [],
            code=course.code,
            title=course.title,
            summary="",
            description="",
            total_hours=60,
            target_group="",
            accreditation_number="",
            credit_points=None,
            language="hu",
        )
    assert refused.value.field == "total_hours"


def test_centre_name_and_prefix_unique(make_centre):
    make_centre(name="Forrásközpont Szolnok", serial_prefix="SZO")
    with pytest.raises(DomainError) as refused:
        make_centre(name="  Forrásközpont Szolnok ")
    assert refused.value.field == "name"
    with pytest.raises(DomainError) as refused:
        make_centre(serial_prefix="szo")
    assert refused.value.field == "serial_prefix"
    with pytest.raises(DomainError) as refused:
        make_centre(name="Forrásközpont Szolnok")
    assert refused.value.field == "name"


def test_archived_course_takes_no_new_runs(make_course, make_centre):
    course = make_course(status=CourseStatus.ARCHIVED)
    with pytest.raises(DomainError):
        services.save_run(None, course, make_centre(), capacity=10)


def test_enum_fields_stay_enum_members_when_saved(db, make_centre, make_course):
    """Trimming text must not turn a StrEnum into a plain string (the ORM would keep it)."""
    from lms.courses.models import CertificateStyle

    run = services.save_run(
        None,
        make_course(),
        make_centre(),
        capacity=10,
        certificate_style=CertificateStyle.RAZGRAD,
        language=" bg ",
    )
    assert run.certificate_style is CertificateStyle.RAZGRAD
    assert run.language == "bg"


def test_a_runs_first_and_last_days_follow_its_sessions(db, make_user, make_course, make_run):
    start = TODAY + timedelta(days=30)
    run = make_run(course=make_course(total_hours=18), start=start, publish=False)
    assert (run.first_day, run.last_day) == (start, start + timedelta(days=2))
    first, _middle, last = run.sessions
    services.save_session(run, last, day=start + timedelta(days=9), starts_at=time(9),
                          ends_at=time(15), minutes=360)  # moved later
    assert run.last_day == start + timedelta(days=9)
    services.remove_session(run, first)
    assert run.first_day == start + timedelta(days=1)
    for session in list(run.sessions):
        services.remove_session(run, session)
    assert (run.first_day, run.last_day) == (None, None)
    services.save_session(run, None, day=start, starts_at=time(9), ends_at=time(12),
                          minutes=180)
    db.session.commit()
    db.session.expire_all()
    assert (run.first_day, run.last_day) == (start, start)


def test_the_catalogue_follows_a_run_whose_last_session_moves(db, make_course, make_run):
    start = TODAY + timedelta(days=1)
    run = make_run(course=make_course(total_hours=12), start=start)
    later = TODAY + timedelta(days=20)

    def listed(on: date) -> bool:
        groups = services.catalogue(services.CatalogueFilters(), at(on)).groups
        return run.id in [e.run.id for group in groups.values() for e in group]

    assert not listed(TODAY + timedelta(days=5))
    services.save_session(run, run.sessions[-1], day=later, starts_at=time(9),
                          ends_at=time(15), minutes=360)
    db.session.commit()
    assert listed(TODAY + timedelta(days=5)) and not listed(later + timedelta(days=1))


def test_update_all_run_days_recomputes_rows_written_around_the_services(db, make_run):
    run = make_run()
    days = (run.first_day, run.last_day)
    db.session.execute(sa.update(Run).values(first_day=None, last_day=None))
    services.update_all_run_days()
    db.session.commit()
    db.session.expire_all()
    assert (run.first_day, run.last_day) == days
