"""Course evaluations: invited when a run closes, answered once per enrolment through a
personal link, anonymous unless signed, one reminder, a closing date, and reports that
trainers read only after closing with at least five answers."""

import re
from datetime import timedelta
from itertools import count

import sqlalchemy as sa
import time_machine

from lms.audit.models import AuditEntry
from lms.auth.models import Role
from lms.clock import utcnow
from lms.notifications.models import Notification
from lms.surveys import evaluations
from lms.surveys import services as surveys
from lms.surveys.models import (
    EvaluationInvitation,
    QuestionKind,
    Survey,
    SurveyResponse,
    SurveyStatus,
)
from tests.surveys.conftest import NAMES
from tests.surveys.test_routes import form

_address = count(1)


def browser(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"203.0.113.{next(_address) % 250 + 1}"
    return client


def asked(survey: Survey) -> list:
    return [q for section in survey.sections for q in section.questions]


def answer_form(survey: Survey, overall: int = 4, useful: str = "", signed: bool = False):
    questions = asked(survey)
    grid = next(q for q in questions if q.kind == QuestionKind.GRID)
    scale = next(q for q in questions if q.kind == QuestionKind.SCALE)
    text = next(q for q in questions if q.kind == QuestionKind.LONG_TEXT)
    data = {f"q{grid.id}_{o.id}": str(overall) for o in grid.options}
    data[f"q{scale.id}"] = str(overall)
    data[f"q{text.id}"] = useful
    if signed:
        data["signed"] = "y"
    return data


def invitations(db, run) -> list[EvaluationInvitation]:
    return list(db.session.scalars(
        sa.select(EvaluationInvitation).join(Survey).where(Survey.run_id == run.id)
        .order_by(EvaluationInvitation.id)))


def answer_all(app, db, run, count_=None, start=0, **fields):
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    for invitation in invitations(db, run)[start:count_]:
        sent = browser(app).submit(f"/e/{invitation.answer_key}",
                                   answer_form(survey, **fields))
        assert sent.status_code == 302, sent.get_data(as_text=True)[:300]


def test_closing_a_run_invites_who_attended_by_mail_and_on_my_trainings(
        app, db, client, auth, closed_run, make_user):
    run, _admin, enrolments = closed_run(names=NAMES[:4], absent=NAMES[3:4])
    survey = evaluations.evaluation_of(run)
    assert survey.status == SurveyStatus.PUBLISHED and survey.template_for is None
    # the short format's default template was made, and the run's evaluation copies it
    template = evaluations.templates()["short"]
    assert survey.previous_id == template.id
    assert [q.text for q in asked(survey)] == [q.text for q in asked(template)]
    # three attended, the fourth did not: three invitations, three mails
    assert {i.enrolment_id for i in invitations(db, run)} == {e.id for e in enrolments[:3]}
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.kind == "evaluation_invitation")) == 3
    mail = db.session.scalar(sa.select(Notification).where(
        Notification.user_id == enrolments[0].user_id,
        Notification.kind == "evaluation_invitation"))
    key = next(i.answer_key for i in invitations(db, run)
               if i.enrolment_id == enrolments[0].id)
    assert f"http://localhost/e/{key}" in mail.body and run.course.title in mail.subject
    auth.login(enrolments[0].user)
    page = client.get("/my/").get_data(as_text=True)
    assert f"/e/{key}" in page and "Trainings to evaluate" in page


def test_editing_the_template_leaves_the_runs_evaluation_alone(db, closed_run, make_user):
    run, _admin, _enrolments = closed_run()
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    template = evaluations.templates()["short"]
    before = [q.text for q in asked(survey)]
    question = asked(template)[1]
    surveys.save_question(template, question, section=question.section, kind=question.kind,
                          required=True, topics=False,
                          text={"en": "Reworded", "hu": "Átírva", "bg": "Променено"},
                          options={})
    db.session.commit()
    assert [q.text for q in asked(surveys.survey_with_questions(survey.id))] == before


def test_a_template_cannot_be_published(db, closed_run):
    closed_run()
    template = evaluations.templates()["short"]
    try:
        surveys.publish_survey(template)
    except Exception as error:  # noqa: BLE001
        assert "never answered itself" in str(error)
    else:
        raise AssertionError("a template was published")


def test_a_long_course_gets_the_long_template(db, make_course):
    assert evaluations.format_of(make_course(total_hours=60)) == "long"
    assert evaluations.format_of(make_course(total_hours=24)) == "short"
    long_ = evaluations.create_template("long", utcnow())
    short = evaluations.create_template("short", utcnow())
    assert len(long_.questions) == len(short.questions) + 1
    assert len(asked(long_)[0].options) == len(asked(short)[0].options) + 1


def test_one_anonymous_answer_per_enrolment_and_the_log_says_only_answered(
        app, db, closed_run):
    run, _admin, enrolments = closed_run()
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    key = invitations(db, run)[0].answer_key
    client = browser(app)
    assert "Sign my answers with my name" in client.get(f"/e/{key}").get_data(as_text=True)
    empty = client.submit(f"/e/{key}", {})
    assert empty.status_code == 400 and "Answer every row." in empty.get_data(as_text=True)
    sent = client.submit(f"/e/{key}", answer_form(survey, useful="A secret remark"))
    assert sent.status_code == 302
    response = db.session.scalar(sa.select(SurveyResponse))
    assert response.user_id is None and response.enrolment_id is None
    # not even the day it was given: the evaluation's opening stands for it
    assert response.submitted_at == survey.opens_at
    again = browser(app)
    assert "Thank you" in again.get(f"/e/{key}").get_data(as_text=True)
    refused = again.submit(f"/e/{key}", answer_form(survey))
    assert refused.status_code == 200 and db.session.scalar(
        sa.select(sa.func.count(SurveyResponse.id))) == 1
    logged = " ".join(str(e.changes) + e.label for e in db.session.scalars(sa.select(AuditEntry)))
    assert "A secret remark" not in logged and key not in logged
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.event == "answered", AuditEntry.entity_id == survey.id)) == 1


def test_a_signed_answer_shows_its_name_an_anonymous_one_none(
        app, db, client, auth, closed_run, make_user):
    run, admin, enrolments = closed_run()
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    first, second = invitations(db, run)[:2]
    browser(app).submit(f"/e/{first.answer_key}", answer_form(survey, useful="Signed words",
                                                               signed=True))
    browser(app).submit(f"/e/{second.answer_key}", answer_form(survey, useful="Quiet words"))
    auth.login(make_user(role=Role.ADMIN))
    page = client.get(f"/evaluations/runs/{run.id}").get_data(as_text=True)
    signer = first.enrolment.user.full_name
    other = second.enrolment.user.full_name
    assert "Signed words" in page and "Quiet words" in page
    assert signer in page and other not in page
    assert "2 of 3 invited trainees answered (66.7 %)" in page


def test_the_evaluation_closes_at_the_end_of_its_last_day(app, db, closed_run):
    run, _admin, _enrolments = closed_run()
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    key = invitations(db, run)[0].answer_key
    last_day = evaluations.last_day(survey, run)
    assert last_day == run.today(run.closed_at) + timedelta(days=21)
    with time_machine.travel(survey.closes_at - timedelta(seconds=1), tick=False):
        assert browser(app).get(f"/e/{key}").status_code == 200
    with time_machine.travel(survey.closes_at, tick=False):
        assert browser(app).get(f"/e/{key}").status_code == 410
        assert browser(app).submit(f"/e/{key}", answer_form(survey)).status_code == 410
        assert evaluations.close_due(utcnow()) == 1
        db.session.commit()
    assert db.session.get(Survey, survey.id).status == SurveyStatus.CLOSED


def test_one_reminder_a_week_before_closing_to_who_has_not_answered(app, db, closed_run):
    run, _admin, enrolments = closed_run()
    survey = evaluations.evaluation_of(run)
    answer_all(app, db, run, 1)  # the first answers; the other two do not

    def reminders():
        return db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
            Notification.kind == "evaluation_reminder"))

    week_before = survey.closes_at - timedelta(days=7)
    runner = app.test_cli_runner()
    with time_machine.travel(week_before - timedelta(seconds=1), tick=False):
        assert "0 reminders" in runner.invoke(args=["evaluations", "daily"]).output
    assert reminders() == 0
    with time_machine.travel(week_before, tick=False):
        assert "2 reminders" in runner.invoke(args=["evaluations", "daily"]).output
        # run again (the next day's cron, or twice by mistake): nobody is reminded twice
        assert "0 reminders" in runner.invoke(args=["evaluations", "daily"]).output
    assert reminders() == 2
    reminded = {n.user_id for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "evaluation_reminder"))}
    assert reminded == {i.enrolment.user_id for i in invitations(db, run)[1:]}
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.entity == "EvaluationInvitation", AuditEntry.action == "update")) >= 2
    with time_machine.travel(survey.closes_at, tick=False):
        output = runner.invoke(args=["evaluations", "daily"]).output
    assert "1 evaluation closed" in output and "0 reminders" in output


def test_trainers_read_results_only_after_closing_with_five_answers(
        app, db, client, auth, closed_run, make_user):
    trainer = make_user(role=Role.TRAINER)
    run, _admin, _enrolments = closed_run(names=NAMES[:5], trainer=trainer)
    survey = evaluations.evaluation_of(run)
    auth.login(trainer)
    answer_all(app, db, run, 4, useful="Helpful remark")
    url = f"/evaluations/runs/{run.id}"
    page = client.get(url).get_data(as_text=True)
    assert "once the evaluation closes" in page and "Helpful remark" not in page
    with time_machine.travel(survey.closes_at, tick=False):
        page = client.get(url).get_data(as_text=True)
        assert "Only 4 trainees answered" in page and "Helpful remark" not in page
        listing = client.get(f"/evaluations/trainers/{trainer.id}").get_data(as_text=True)
        assert "Only 4 trainees answered" in listing
    with time_machine.travel(survey.closes_at - timedelta(seconds=1), tick=False):
        answer_all(app, db, run, start=4, useful="Helpful remark")  # the fifth answers
        page = client.get(url).get_data(as_text=True)
        assert "once the evaluation closes" in page and "Helpful remark" not in page
    with time_machine.travel(survey.closes_at, tick=False):
        page = client.get(url).get_data(as_text=True)
        assert "Helpful remark" in page and "5 of 5 invited trainees answered" in page
        listing = client.get(f"/evaluations/trainers/{trainer.id}").get_data(as_text=True)
        assert "Only" not in listing and re.search(r">4(\.0+)?<", listing)


def test_a_trainer_reads_neither_another_trainers_runs_nor_their_list(
        app, db, client, auth, closed_run, make_user):
    teacher, stranger = make_user(role=Role.TRAINER), make_user(role=Role.TRAINER)
    run, _admin, _enrolments = closed_run(trainer=teacher)
    auth.login(stranger)
    assert client.get(f"/evaluations/runs/{run.id}").status_code == 403
    assert client.get(f"/evaluations/trainers/{teacher.id}").status_code == 404
    assert client.get(f"/evaluations/trainers/{stranger.id}").status_code == 200


def test_a_scoped_administrator_sees_only_their_centres_evaluations(
        app, db, client, auth, closed_run, make_user, make_centre):
    run, _admin, _enrolments = closed_run()
    auth.login(make_user(role=Role.ADMIN))
    assert run.course.title in client.get("/manage/evaluations/").get_data(as_text=True)
    auth.logout()
    other = make_user(role=Role.ADMIN)
    other.centre_id = make_centre().id
    db.session.commit()
    auth.login(other)
    assert run.course.title not in client.get("/manage/evaluations/").get_data(as_text=True)
    assert client.get(f"/evaluations/runs/{run.id}").status_code == 404
    course_page = client.get(f"/manage/courses/{run.course_id}/evaluations")
    assert course_page.status_code == 200 and "No evaluation yet." in course_page.get_data(
        as_text=True)


def test_reports_cost_the_same_queries_for_few_or_many_runs(
        app, db, client, auth, closed_run, make_user, make_course, query_counter):
    trainer = make_user(role=Role.TRAINER)
    admin = make_user(role=Role.ADMIN)

    def cost(run):
        urls = ["/manage/evaluations/", f"/evaluations/trainers/{trainer.id}",
                f"/manage/courses/{run.course_id}/evaluations", f"/evaluations/runs/{run.id}"]
        counts = []
        for url in urls:
            with query_counter() as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    course = make_course(total_hours=6)
    run, _admin, _e = closed_run(trainer=trainer, course=course)
    answer_all(app, db, run, useful="Few words")
    auth.login(admin)
    few = cost(run)
    for ago in (12, 14, 16):
        run, _admin, _e = closed_run(names=NAMES, trainer=trainer, course=course, ago=ago)
        answer_all(app, db, run, signed=True, useful="Words")
    many = cost(run)
    assert few == many


def test_the_county_is_chosen_from_the_centres_country(app, db, make_survey, make_centre):
    survey = make_survey(centre=make_centre(country="BG"))
    page = browser(app).get(f"/s/{survey.token}").get_data(as_text=True)
    assert re.search(r'<select[^>]*id="county"', page)
    assert "Разград" in page and ">Pest<" not in page
    forged = browser(app).submit(f"/s/{survey.token}", form(survey, county="Pest"))
    assert forged.status_code == 400 and db.session.scalar(
        sa.select(sa.func.count(SurveyResponse.id))) == 0
    assert browser(app).submit(f"/s/{survey.token}",
                               form(survey, county="Разград")).status_code == 302
    network = make_survey()
    both = browser(app).get(f"/s/{network.token}").get_data(as_text=True)
    assert "Разград" in both and ">Pest<" in both
