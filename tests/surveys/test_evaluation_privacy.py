"""Course evaluations, continued: the templates are the network's (a centre's
administrator reads them, changes nothing: 403), the back office links each run and
course to its evaluation, an unsigned answer cannot be matched with its trainee by
its time or its place in a list or an export, and a trainer below five answers
reads nothing that could single anyone out."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from lms.auth.models import Role
from lms.clock import utcnow
from lms.surveys import evaluations
from lms.surveys import services as surveys
from lms.surveys.models import Survey, SurveyResponse, SurveyStatus
from tests.surveys.conftest import NAMES
from tests.surveys.test_evaluations import (
    answer_all,
    answer_form,
    asked,
    browser,
    invitations,
)


def scoped_admin(db, make_user, make_centre):
    admin = make_user(role=Role.ADMIN)
    admin.centre_id = make_centre().id
    db.session.commit()
    return admin


def test_a_centre_administrator_reads_the_templates_and_changes_none(
        app, db, client, auth, make_user, make_centre):
    template = evaluations.create_template("short", utcnow())
    db.session.commit()
    questions_before = [q.text for q in asked(surveys.survey_with_questions(template.id))]
    question = asked(template)[0]
    section = template.sections[0]
    auth.login(scoped_admin(db, make_user, make_centre))
    listing = client.get("/manage/evaluations/").get_data(as_text=True)
    assert f'href="/manage/surveys/{template.id}"' in listing
    assert "Create the default template" not in listing
    page = client.get(f"/manage/surveys/{template.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "The training" in html
    assert "Only a network administrator can change the evaluation templates" in html
    for hidden in ("Edit title, dates and languages", "Add a question here", "Archive",
                   "Remove the section", f"/questions/{question.id}/edit"):
        assert hidden not in html
    assert client.get(f"/manage/surveys/{template.id}/preview").status_code == 200
    base = f"/manage/surveys/{template.id}"
    token_page = f"{base}/preview"
    for url in (f"{base}/edit", f"{base}/questions/new", f"{base}/questions/{question.id}/edit",
                f"{base}/sections/new", f"{base}/sections/{section.id}/edit"):
        assert client.get(url).status_code == 403, url
    for url, data in (
            ("/manage/evaluations/templates", {"format": "long"}),
            (f"{base}/edit", {"kind": "evaluation", "languages": ["en"], "title_en": "Mine",
                              "opens_on": "2026-01-01", "closes_on": "2026-02-01"}),
            (f"{base}/questions/{question.id}/edit", {"kind": "scale", "text_en": "Mine"}),
            (f"{base}/questions/{question.id}/remove", {}),
            (f"{base}/questions/{question.id}/move", {"direction": "down"}),
            (f"{base}/sections/{section.id}/remove", {}),
            (f"{base}/sections/{section.id}/move", {"direction": "down"}),
            (f"{base}/publish", {}), (f"{base}/close", {}), (f"{base}/archive", {}),
            (f"{base}/new-version", {})):
        assert client.submit(url, data, page=token_page).status_code == 403, url
    db.session.expire_all()
    kept = db.session.get(Survey, template.id)
    assert kept.status == SurveyStatus.DRAFT and "long" not in evaluations.templates()
    assert [q.text for q in asked(surveys.survey_with_questions(kept.id))] == questions_before
    # a network administrator changes it
    auth.logout()
    auth.login(make_user(role=Role.ADMIN))
    assert "Edit title, dates and languages" in client.get(base).get_data(as_text=True)
    assert client.get(f"{base}/questions/{question.id}/edit").status_code == 200


def test_the_run_and_course_pages_lead_to_their_evaluations(
        app, db, client, auth, closed_run, make_user, make_run, make_course):
    run, admin, _enrolments = closed_run()
    answer_all(app, db, run, 2, overall=4)
    auth.login(admin)
    page = client.get(f"/manage/runs/{run.id}").get_data(as_text=True)
    assert "2 of 3 invited trainees answered (66.7 %)" in page
    assert f'href="/evaluations/runs/{run.id}"' in page
    report = client.get(f"/evaluations/runs/{run.id}").get_data(as_text=True)
    assert f'href="/manage/runs/{run.id}"' in report
    course = client.get(f"/manage/courses/{run.course_id}/edit").get_data(as_text=True)
    assert "1 run evaluated." in course and "2 of 3 invited trainees answered" in course
    assert f'href="/manage/courses/{run.course_id}/evaluations"' in course
    assert f'href="/manage/courses/{run.course_id}/edit"' in client.get(
        f"/manage/courses/{run.course_id}/evaluations").get_data(as_text=True)
    # a run not closed yet, and a course never evaluated: they say what will happen
    fresh = make_run(course=make_course())
    page = client.get(f"/manage/runs/{fresh.id}").get_data(as_text=True)
    assert "When the run closes, each trainee who attended it is invited" in page
    assert "/evaluations/runs/" not in page
    course = client.get(f"/manage/courses/{fresh.course_id}/edit").get_data(as_text=True)
    assert "No run of this course has been evaluated yet" in course
    assert "/evaluations\"" not in course


def test_a_closed_run_nobody_attended_says_it_has_no_evaluation(
        app, db, client, auth, closed_run):
    run, admin, _enrolments = closed_run(names=NAMES[:2], absent=NAMES[:2])
    assert evaluations.evaluation_of(run) is None
    auth.login(admin)
    page = client.get(f"/manage/runs/{run.id}").get_data(as_text=True)
    assert "This run has no evaluation" in page


def test_unsigned_answers_follow_neither_the_time_nor_the_order_of_answering(
        app, db, client, auth, closed_run, make_user):
    names = NAMES[:6]
    run, admin, _enrolments = closed_run(names=names)
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    order = invitations(db, run)
    # each trainee answers on another day, in the order of the invitations, with a
    # remark that names their place in that order
    remarks = ["Zeta remark", "Alpha remark", "Mu remark", "Beta remark", "Omega remark",
               "Kappa remark"]
    for day, (invitation, remark) in enumerate(zip(order, remarks, strict=True)):
        with time_machine.travel(survey.opens_at + timedelta(days=day, hours=3), tick=False):
            sent = browser(app).submit(f"/e/{invitation.answer_key}",
                                       answer_form(survey, useful=remark))
            assert sent.status_code == 302
    responses = list(db.session.scalars(sa.select(SurveyResponse)))
    # no time of its own: every unsigned response stands at the evaluation's opening
    assert {r.submitted_at for r in responses} == {survey.opens_at}
    assert all(r.user_id is None and r.enrolment_id is None for r in responses)
    auth.login(admin)
    # the run's report and the results list the remarks by their text
    report = client.get(f"/evaluations/runs/{run.id}").get_data(as_text=True)
    listed = [r for r in sorted(remarks)[:5]]
    positions = [report.index(r) for r in listed]
    assert positions == sorted(positions)
    results = client.get(f"/manage/surveys/{survey.id}/results").get_data(as_text=True)
    positions = [results.index(r) for r in sorted(remarks)[:5]]
    assert positions == sorted(positions)
    # the export: no time, no language, and not in the order of answering
    export = client.get(f"/manage/surveys/{survey.id}/results.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))[1:]
    assert len(rows) == 6 and all(row[0] == "" and row[1] == "" for row in rows)
    exported = [next(cell for cell in row if cell.endswith(" remark")) for row in rows]
    assert sorted(exported) == sorted(remarks) and exported != remarks
    again = client.get(f"/manage/surveys/{survey.id}/results.csv").get_data(as_text=True)
    assert again == export  # the same order at every download


def test_a_signed_answer_keeps_its_time_and_name_in_the_export(
        app, db, client, auth, closed_run):
    run, admin, _enrolments = closed_run()
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    first = invitations(db, run)[0]
    browser(app).submit(f"/e/{first.answer_key}", answer_form(survey, useful="Mine",
                                                               signed=True))
    signed = db.session.scalar(sa.select(SurveyResponse))
    assert signed.user_id == first.enrolment.user_id and signed.submitted_at > survey.opens_at
    auth.login(admin)
    export = client.get(f"/manage/surveys/{survey.id}/results.csv").get_data(as_text=True)
    row = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))[1]
    assert row[0] != "" and row[1] == "en"


def test_below_five_answers_a_trainer_reads_no_count_no_comment_no_average(
        app, db, client, auth, closed_run, make_user):
    trainer = make_user(role=Role.TRAINER)
    run, _admin, _enrolments = closed_run(names=NAMES[:6], trainer=trainer)
    survey = surveys.survey_with_questions(evaluations.evaluation_of(run).id)
    text = next(q for q in asked(survey) if q.kind.value == "long_text")
    answer_all(app, db, run, 4, overall=2, useful="Only I would write this")
    auth.login(trainer)
    with time_machine.travel(survey.closes_at + timedelta(days=1), tick=False):
        page = client.get(f"/evaluations/runs/{run.id}").get_data(as_text=True)
        assert "Only 4 trainees answered" in page
        for secret in ("Only I would write this", "Average of all 1–5 answers",
                       "survey-result", "<table", "4 answered", "average 2"):
            assert secret not in page, secret
        texts = client.get(f"/evaluations/runs/{run.id}/questions/{text.id}")
        assert texts.status_code == 302
        assert "Only I would write this" not in client.get(
            texts.headers["Location"]).get_data(as_text=True)
        listing = client.get(f"/evaluations/trainers/{trainer.id}").get_data(as_text=True)
        assert "Only 4 trainees answered" in listing
        assert "over-time" not in listing and ">2<" not in listing and ">2.0<" not in listing
        assert "In all:" not in listing
        # the results and exports are administrators' only
        for url in (f"/manage/surveys/{survey.id}/results",
                    f"/manage/surveys/{survey.id}/results.csv",
                    f"/manage/surveys/{survey.id}/results.xlsx",
                    f"/manage/surveys/{survey.id}/questions/{text.id}/answers",
                    f"/manage/courses/{run.course_id}/evaluations"):
            assert client.get(url).status_code == 403, url
