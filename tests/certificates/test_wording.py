"""What an official reads on a certificate: where and when it was issued, who trained,
the stamp area, one date for a one-day training, English beneath in every style when
asked, and wording that agrees with the holder's gender (or is neutral)."""

import io
from datetime import date

import pytest
from babel.dates import format_date
from pypdf import PdfReader

from lms.auth.models import Role
from lms.certificates import services
from lms.certificates.rendering import certificate_html
from lms.clock import utcnow
from lms.programmes.models import Education, Gender, LabourStatus, ParticipantData

TODAY = date.today()


def text_of(certificate) -> str:
    return PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()


def answer_gender(db, enrolment, gender):
    db.session.add(ParticipantData(enrolment=enrolment, gender=gender, birth_year=1980,
                                   labour_status=LabourStatus.EMPLOYED,
                                   education=Education.ISCED_5_8, answered_at=utcnow()))
    db.session.commit()


@pytest.mark.parametrize("style, language, issued, stamp", [
    ("tanusitvany", "hu", "Kelt: Разград, {day}", "P. H."),
    ("razgrad", "bg", "гр. Разград, {day}", "М. П."),
    ("default", "hu", "Kelt: Разград, {day}", "P. H."),
    ("default", "bg", "Издадено в гр. Разград на {day}", "М. П."),
    ("default", "en", "Issued in Разград on {day}", "L.S."),
])
def test_place_and_date_of_issue_stamp_area_and_the_trainers_name(
    db, closed_run, make_user, style, language, issued, stamp
):
    trainer = make_user(full_name="Елена Димитрова", role=Role.TRAINER)
    run, admin, (maria, *_rest) = closed_run(style=style, language=language, trainer=trainer)
    certificate = services.issue_certificate(maria, admin, TODAY)
    text = text_of(certificate)
    day = format_date(TODAY, "long", locale="hu" if style == "tanusitvany" else language)
    assert issued.format(day=day) in text
    assert stamp in text
    assert "Елена Димитрова" in text  # on the trainer's line
    assert certificate.facts["trainers"] == ["Елена Димитрова"]
    assert certificate.facts["place"] == "Разград"


def test_no_trainer_leaves_the_line_to_sign_by_hand(db, closed_run):
    run, admin, (maria, *_rest) = closed_run(style="razgrad", language="bg")
    certificate = services.issue_certificate(maria, admin, TODAY)
    assert certificate.facts["trainers"] == []
    assert "Обучител" in text_of(certificate)


@pytest.mark.parametrize("style, language", [
    ("default", "hu"), ("default", "bg"), ("tanusitvany", "hu"), ("razgrad", "bg"),
])
def test_a_one_day_training_has_one_date(db, closed_run, style, language):
    run, admin, (maria, *_rest) = closed_run(style=style, language=language)
    facts = services.issue_certificate(maria, admin, TODAY).facts
    facts_one_day = facts | {"last_day": facts["first_day"], "bilingual": True}
    html = certificate_html(facts_one_day)
    first = date.fromisoformat(facts["first_day"])
    shown = format_date(first, "long", locale="hu" if style == "tanusitvany" else language)
    assert html.count(shown) == 1 and " – " + shown not in html
    assert html.count(format_date(first, "long", locale="en")) == 1  # the English line too
    several_days = certificate_html(facts | {"bilingual": True})
    assert format_date(date.fromisoformat(facts["last_day"]), "long", locale="en") in several_days


@pytest.mark.parametrize("style, language, native", [
    ("default", "bg", "участва в обучението"),
    ("tanusitvany", "hu", "részt vett a"),
    ("razgrad", "bg", "завърши обучение по програмата"),
])
@pytest.mark.parametrize("bilingual", [True, False])
def test_every_style_is_bilingual_when_asked(db, closed_run, style, language, native, bilingual):
    run, admin, (maria, *_rest) = closed_run(style=style, language=language)
    run.certificate_bilingual = bilingual
    db.session.commit()
    text = text_of(services.issue_certificate(maria, admin, TODAY))
    assert native in text
    assert ("This is to certify that" in text) is bilingual
    assert ("Issued in Разград on" in text) is bilingual


FORMS = {  # style: (feminine, masculine, neutral)
    "razgrad": ("е завършила обучение", "е завършил обучение", "завърши обучение"),
    "default": ("е участвала в обучението", "е участвал в обучението", "участва в обучението"),
}


@pytest.mark.parametrize("style", FORMS)
@pytest.mark.parametrize("gender, form", [
    (Gender.FEMALE, 0), (Gender.MALE, 1), (Gender.UNDISCLOSED, 2), (Gender.NON_BINARY, 2),
    (None, 2),
])
def test_bulgarian_wording_agrees_with_the_holders_answer(db, closed_run, style, gender, form):
    run, admin, (maria, *_rest) = closed_run(style=style, language="bg")
    if gender is not None:
        answer_gender(db, maria, gender)
    text = text_of(services.issue_certificate(maria, admin, TODAY)).replace("\n", " ")
    for index, wording in enumerate(FORMS[style]):
        assert (f" {wording}" in f" {text}") is (index == form), wording


def test_the_form_is_kept_with_the_facts_not_the_gender(db, closed_run):
    run, admin, (maria, *_rest) = closed_run(style="razgrad", language="bg")
    answer_gender(db, maria, Gender.FEMALE)
    facts = services.issue_certificate(maria, admin, TODAY).facts
    assert facts["form"] == "feminine" and "gender" not in facts
