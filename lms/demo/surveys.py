"""The demo's training-needs survey: offered in Hungarian, Bulgarian and English, open
around the demo's today, with a few answers from provider organisations."""

from datetime import date, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from lms.clock import utcnow, zone
from lms.courses.models import Centre, Run
from lms.extensions import db
from lms.surveys import evaluations
from lms.surveys import services as surveys
from lms.surveys.models import EvaluationInvitation, QuestionKind, Survey, SurveyKind

TITLE = {"en": "Training needs of social service providers 2027",
         "hu": "Szociális szolgáltatók képzési igényei 2027",
         "bg": "Потребности от обучение на доставчиците на социални услуги 2027"}
INTRO = {"en": "Tell us what your team needs to learn next year: we plan our trainings "
               "from your answers. It takes five minutes.",
         "hu": "Mondja el, mit szeretne tanulni a csapata jövőre: a válaszokból tervezzük "
               "a képzéseinket. Öt percet vesz igénybe.",
         "bg": "Кажете ни какво трябва да научи екипът ви догодина: планираме обученията "
               "си според отговорите ви. Отнема пет минути."}
QUESTIONS = [
    (QuestionKind.SINGLE, True, False,
     {"en": "How many people work in your team?", "hu": "Hányan dolgoznak a csapatában?",
      "bg": "Колко души работят в екипа ви?"},
     [{"en": "1–5", "hu": "1–5", "bg": "1–5"}, {"en": "6–20", "hu": "6–20", "bg": "6–20"},
      {"en": "More than 20", "hu": "Több mint 20", "bg": "Повече от 20"}]),
    (QuestionKind.MULTIPLE, True, True,
     {"en": "Which topics does your team need training in?",
      "hu": "Milyen témákban van szüksége képzésre a csapatának?",
      "bg": "По какви теми има нужда от обучение екипът ви?"},
     [{"en": "Debt advice and budgeting", "hu": "Adósságkezelés és háztartási költségvetés",
       "bg": "Консултиране при задлъжнялост и бюджет"},
      {"en": "Community-based social services", "hu": "Közösségi alapú szociális szolgáltatások",
       "bg": "Социални услуги в общността"},
      {"en": "Working with families at risk", "hu": "Munka veszélyeztetett családokkal",
       "bg": "Работа със семейства в риск"},
      {"en": "Preventing burnout", "hu": "A kiégés megelőzése",
       "bg": "Превенция на професионалното прегаряне"}]),
    (QuestionKind.SCALE, False, False,
     {"en": "How much does your team need training this year?",
      "hu": "Mennyire van szüksége képzésre a csapatának idén?",
      "bg": "Доколко екипът ви има нужда от обучение тази година?"}, []),
    (QuestionKind.GRID, False, False,
     {"en": "How well do these formats suit your team?",
      "hu": "Mennyire felelnek meg ezek a formák a csapatának?",
      "bg": "Доколко тези формати са подходящи за екипа ви?"},
     [{"en": "60-hour course", "hu": "60 órás képzés", "bg": "60-часов курс"},
      {"en": "24-hour course", "hu": "24 órás képzés", "bg": "24-часов курс"}]),
    (QuestionKind.SHORT_TEXT, False, False,
     {"en": "Which months suit you best?", "hu": "Mely hónapok a legalkalmasabbak?",
      "bg": "Кои месеци са най-подходящи за вас?"}, []),
    (QuestionKind.LONG_TEXT, False, False,
     {"en": "Anything else we should know?", "hu": "Van még valami, amit tudnunk kellene?",
      "bg": "Има ли нещо друго, което трябва да знаем?"}, []),
]
# (organisation, type, settlement, county, roles, team size, topics, need, formats, months, note)
ANSWERS = [
    ("Razgrad Family Support Centre", "municipality", "Razgrad", "Разград",
     ["social_worker", "psychologist"], 1, [0, 2], 5, (4, 5), "October", "bg"),
    ("Isperih Community Services", "ngo", "Isperih", "Разград", ["social_worker"],
     0, [0, 2, 3], 4, (3, 5), "March", "bg"),
    ("Debreceni Családsegítő", "municipality", "Debrecen", "Hajdú-Bihar",
     ["social_worker", "manager"], 2, [0, 1], 4, (5, 3), "", "hu"),
    ("Szolnoki Karitász", "church", "Szolnok", "Jász-Nagykun-Szolnok",
     ["carer", "volunteer"], 0, [1], 3, (2, 4), "November", "hu"),
]


def ensure_needs_survey(today: date) -> bool:
    """The demo's needs survey and its answers, unless it is there already."""
    if db.session.scalar(sa.select(Survey.id).where(Survey.kind == SurveyKind.NEEDS).limit(1)):
        return False
    where = zone("Europe/Budapest")
    opens_at, closes_at = surveys.opening_instants(today - timedelta(days=14),
                                                   today + timedelta(days=45), where)
    survey = surveys.save_survey(None, kind=SurveyKind.NEEDS, languages=["hu", "bg", "en"],
                                 title=TITLE, intro=INTRO, opens_at=opens_at,
                                 closes_at=closes_at, centre=None)
    section = survey.sections[0]
    for kind, required, topics, text, options in QUESTIONS:
        surveys.save_question(
            survey, None, section=section, kind=kind, required=required, topics=topics,
            text=text, options={code: [o[code] for o in options] for code in TITLE})
    surveys.publish_survey(survey)
    now = utcnow()
    if not opens_at <= now < closes_at:  # a demo loaded for another day: no answers
        return True
    centres = {c.city: c for c in db.session.scalars(sa.select(Centre))}
    single, multiple, scale, grid, short, long_ = survey.questions
    for n, (name, kind, settlement, county, roles, size, chosen, need, formats, months,
            language) in enumerate(ANSWERS):
        data = MultiDict([(f"q{single.id}", str(single.options[size].id)),
                          (f"q{scale.id}", str(need)),
                          (f"q{short.id}", months)])
        for index in chosen:
            data.add(f"q{multiple.id}", str(multiple.options[index].id))
        for option, value in zip(grid.options, formats, strict=True):
            data.add(f"q{grid.id}_{option.id}", str(value))
        answers, _errors = surveys.read_answers(survey, data)
        surveys.submit_response(
            survey, answers, surveys.Respondent(name, kind, settlement, county, roles),
            language=language, now=now, browser_key=f"demo-{n}",
            centre=centres.get(settlement))
    return True


# The closed demo run's evaluation: (overall, grid values, recommend, most useful, change,
# signed) per trainee who attended, in the order they were invited.
EVALUATION_ANSWERS = [
    (5, (5, 5, 4, 4, 5), 0, "Разборът на случаи от практиката.", "", False),
    (4, (4, 5, 5, 3, 4), 0, "Работата в малки групи.", "Повече време за въпроси.", True),
    (4, (4, 4, 5, 4, 3), 1, "", "Материалите по-рано, преди първия ден.", False),
    (3, (3, 4, 4, 3, 3), 1, "Упражненията за комуникация.", "По-кратки дни.", False),
]


def answer_demo_evaluation(run: Run) -> int:
    """The closed demo run's trainees answer its evaluation (one of them signs), which
    then closes: the reports have something to show. Returns how many answered."""
    survey = evaluations.evaluation_of(run)
    if survey is None:
        return 0
    survey = surveys.survey_with_questions(survey.id)
    asked = [question for section in survey.sections for question in section.questions]
    grid, overall, recommend, useful, change = asked[:5]
    invitations = db.session.scalars(sa.select(EvaluationInvitation).where(
        EvaluationInvitation.survey_id == survey.id).order_by(EvaluationInvitation.id)).all()
    now = utcnow()
    answered = 0
    for invitation, (mark, rows, choice, good, better, signed) in zip(
            invitations, EVALUATION_ANSWERS, strict=False):
        data = MultiDict([(f"q{overall.id}", str(mark)),
                          (f"q{recommend.id}", str(recommend.options[choice].id)),
                          (f"q{useful.id}", good), (f"q{change.id}", better)])
        for option, value in zip(grid.options, rows, strict=False):
            data.add(f"q{grid.id}_{option.id}", str(value))
        answers, _errors = surveys.read_answers(survey, data)
        evaluations.submit_evaluation(invitation, answers, language="bg", signed=signed,
                                      now=now)
        answered += 1
    surveys.close_survey(survey)
    return answered
