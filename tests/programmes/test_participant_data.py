"""The ESF+ indicator questions at enrolment in a programme's run: asked, kept with the
consent's wording, changed only with a reason."""

import pytest
import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.enrolment.models import Enrolment
from lms.enrolment.services import enrol
from lms.errors import DomainError
from lms.programmes import services as participants
from lms.programmes.models import Answer, Gender, ParticipantData

ANSWERS = {"gender": "female", "birth_year": "1984", "labour_status": "employed",
           "education": "isced_5_8"}


def programme_run(make_run, make_programme, **fields):
    programme = make_programme(**fields)
    return make_run(programme_id=programme.id), programme


def test_the_course_page_leads_to_the_questions_and_enrolling_keeps_the_answers(
        client, auth, db, make_user, make_run, make_programme):
    run, programme = programme_run(make_run, make_programme)
    trainee = make_user()
    auth.login(trainee)
    course_page = client.get(f"/courses/{run.course.code}").get_data(as_text=True)
    assert f'href="/runs/{run.id}/enrol"' in course_page
    form = client.get(f"/runs/{run.id}/enrol").get_data(as_text=True)
    assert programme.code in form and "Regulation (EU) 2021/1057" in form
    assert "Dec 31, 2033" in form  # the period ends in 2028: five years more
    response = client.submit(f"/runs/{run.id}/enrol", ANSWERS, follow_redirects=True)
    assert response.request.path == "/my/"
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == trainee.id))
    data = enrolment.participant_data
    assert (data.gender, data.birth_year, data.sensitive_consent) == (Gender.FEMALE, 1984, False)
    assert data.disability is None and data.consent_text == "" and data.consent_at is None


def test_the_sensitive_answers_are_kept_only_with_the_consent_and_its_wording(
        client, auth, db, make_user, make_run, make_programme):
    run, programme = programme_run(make_run, make_programme)
    trainee = make_user(locale="hu")
    auth.login(trainee)
    client.submit(f"/runs/{run.id}/enrol", ANSWERS | {
        "sensitive_consent": "y", "minority": "yes", "rural": "no"})
    data = db.session.scalar(sa.select(ParticipantData))
    assert (data.minority, data.rural, data.disability) == (
        Answer.YES, Answer.NO, Answer.UNDISCLOSED)
    assert data.consent_language == "hu" and data.consent_at is not None
    assert programme.code in data.consent_text and "Hozzájárulok" in data.consent_text


def test_missing_or_hostile_answers_enrol_nobody(client, auth, db, make_user, make_run,
                                                 make_programme):
    run, _programme = programme_run(make_run, make_programme)
    auth.login(make_user())
    for bad in ({"gender": ""}, {"gender": "<script>"}, {"birth_year": "NaN"},
                {"birth_year": "9999"}, {"birth_year": "2020"}, {"education": "isced_9"},
                {"labour_status": "x\x00"}, {"minority": "maybe", "sensitive_consent": "y"}):
        response = client.submit(f"/runs/{run.id}/enrol", ANSWERS | bad)
        assert response.status_code == 200, bad
        assert 'class="error-message"' in response.get_data(as_text=True), bad
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ParticipantData.id))) == 0


def test_the_form_is_filled_in_from_the_last_answers_but_asks_the_consent_anew(
        client, auth, db, make_user, make_run, make_programme):
    first, programme = programme_run(make_run, make_programme)
    second = make_run(programme_id=programme.id)
    trainee = make_user()
    auth.login(trainee)
    client.submit(f"/runs/{first.id}/enrol", ANSWERS | {"sensitive_consent": "y",
                                                        "disability": "yes"})
    form = client.get(f"/runs/{second.id}/enrol").get_data(as_text=True)
    assert 'value="1984"' in form
    assert '<input checked id="gender-0" name="gender" required type="radio" value="female">' \
        in form
    assert '<input id="sensitive_consent" name="sensitive_consent" type="checkbox" value="y">' \
        in form  # the consent is not ticked for them
    assert '<input id="disability-0" name="disability" type="radio" value="yes">' in form


def test_a_run_without_a_programme_asks_nothing(client, auth, make_user, make_run):
    run = make_run()
    auth.login(make_user())
    response = client.get(f"/runs/{run.id}/enrol")
    assert response.status_code == 302 and f"/courses/{run.course.code}" in response.location


def test_answers_change_only_with_a_reason_kept_in_the_audit_log(db, make_user, make_run,
                                                                 make_programme):
    run, _programme = programme_run(make_run, make_programme)
    enrolment = enrol(make_user(), run, utcnow())
    answers = {"gender": "male", "birth_year": 1970, "labour_status": "unemployed",
               "education": "isced_3_4", "sensitive_consent": False}
    participants.record_participant_data(enrolment, answers, "bg", utcnow())
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        participants.record_participant_data(enrolment, answers | {"birth_year": 1971}, "bg",
                                             utcnow())
    assert refused.value.field == "reason"
    db.session.rollback()
    participants.record_participant_data(enrolment, answers | {"birth_year": 1971}, "bg",
                                         utcnow(), reason="Elírás a jelentkezéskor")
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "ParticipantData", AuditEntry.action == "update")).one()
    assert entry.changes["birth_year"] == [1970, 1971]
    assert entry.reason == "Elírás a jelentkezéskor"


def test_a_trainee_withdraws_the_consent_and_the_sensitive_answers_are_erased(
        client, auth, db, make_user, make_run, make_programme):
    run, programme = programme_run(make_run, make_programme)
    trainee = make_user()
    auth.login(trainee)
    client.submit(f"/runs/{run.id}/enrol", ANSWERS | {"sensitive_consent": "y",
                                                      "disability": "yes"})
    data = db.session.scalar(sa.select(ParticipantData))
    dashboard = client.get("/my/").get_data(as_text=True)
    assert "Withdraw my consent" in dashboard and programme.code in dashboard
    page = f"/my/answers/{data.id}/withdraw-consent"
    assert f'href="{page}"' in dashboard
    confirm = client.get(page).get_data(as_text=True)
    assert "Your 5 answers to the optional questions are erased for good." in confirm
    assert "Your 4 other answers at enrolment are kept" in confirm
    assert f'<form method="post" action="{page}"' in confirm
    db.session.expire_all()
    assert db.session.get(ParticipantData, data.id).sensitive_consent  # looking changes nothing
    response = client.submit(page, page=page, follow_redirects=True)
    assert "Your consent is withdrawn" in response.get_data(as_text=True)
    db.session.expire_all()
    data = db.session.get(ParticipantData, data.id)
    assert (data.sensitive_consent, data.disability, data.consent_text) == (False, None, "")
    assert data.gender == Gender.FEMALE  # the core answers stay
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "ParticipantData", AuditEntry.action == "update")).one()
    assert entry.changes["disability"] == ["(changed)", None]  # never what it said


def test_nobody_withdraws_another_trainees_consent(client, auth, db, make_user, make_run,
                                                    make_programme):
    run, _programme = programme_run(make_run, make_programme)
    auth.login(make_user())
    client.submit(f"/runs/{run.id}/enrol", ANSWERS | {"sensitive_consent": "y"})
    data = db.session.scalar(sa.select(ParticipantData))
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/my/answers/{data.id}/withdraw-consent").status_code == 404
    response = client.submit(f"/my/answers/{data.id}/withdraw-consent", page="/my/")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ParticipantData, data.id).sensitive_consent is True
