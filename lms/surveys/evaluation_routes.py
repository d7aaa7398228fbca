"""Course evaluations: a trainee's answer page (their personal link), the templates,
and the reports per run, per course and per trainer. Administrators read what their
centre scope reaches; a trainer reads only their own runs, and each run's results
only once its evaluation has closed with at least MIN_ANSWERS answers."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user

from lms.access import scoped_centre_id
from lms.auth.models import Role, User
from lms.auth.permissions import is_admin, require
from lms.clock import utcnow
from lms.courses.models import Course, Run
from lms.extensions import db, limiter
from lms.i18n import gettext as _
from lms.paging import page_args, paginate
from lms.pipeline import perform
from lms.surveys import bp, evaluations, results, services
from lms.surveys.forms import EvaluationForm, TemplateForm, question_kind_labels
from lms.surveys.models import TEXT_KINDS, Survey, SurveyStatus
from lms.surveys.routes import _language, _respondent_language
from lms.trainers.services import is_trainer_of_run

TEXT_PREVIEW = 5
TEXT_PAGE_SIZE = 50


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.role in (Role.ADMIN, Role.TRAINER))


# ---------------------------------------------------------------- answering


@bp.route("/e/<key>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SURVEY_ANSWER_LIMIT"], methods=["POST"])
def evaluate(key: str):
    """A trainee's evaluation of their run, opened by the link they were sent (the key
    is theirs alone: no login needed, and one response per enrolment)."""
    invitation = evaluations.find_invitation(key)
    if invitation is None:
        abort(404)
    survey = services.survey_with_questions(invitation.survey_id)
    if survey.status in (SurveyStatus.DRAFT, SurveyStatus.ARCHIVED):
        abort(404)
    run = invitation.enrolment.run
    locale = invitation.enrolment.user.locale
    language = (locale if locale in survey.language_list and "lang" not in request.args
                else _respondent_language(survey))
    with force_locale(language):
        if invitation.answered:
            return render_template("surveys/done.html", survey=survey, language=language)
        now = utcnow()
        if not services.is_open(survey, now):
            return render_template("surveys/done.html", survey=survey, language=language,
                                   closed=True), 410
        form = EvaluationForm()
        errors: dict[int, str] = {}
        if request.method == "POST":
            answers, errors = services.read_answers(survey, request.form)
            if form.validate_on_submit() and not errors:
                done = perform(lambda: evaluations.submit_evaluation(
                    invitation, answers, language=language, signed=form.signed.data,
                    now=now), form)
                if done:
                    return redirect(url_for("surveys.evaluate", key=key, lang=language))
        page = render_template("surveys/answer.html", survey=survey, language=language,
                               form=form, errors=errors,
                               given=request.form if request.method == "POST" else {},
                               preview=False, centre=None, run=run,
                               question_kinds=question_kind_labels())
        return page, 400 if request.method == "POST" else 200


# ---------------------------------------------------------------- administrators


@bp.route("/manage/evaluations/")
@require(is_admin)
def evaluation_list():
    """Every run's evaluation the administrator reaches, newest run first, with its
    response rate and average satisfaction; and the templates per course format."""
    number, size = page_args(request.args)
    page = paginate(evaluations.evaluations_query(scoped_centre_id(current_user)),
                    number, size)
    return render_template(
        "surveys/evaluations.html", page=page, rows=evaluations.evaluation_rows(page.items),
        templates=evaluations.templates(), formats=format_labels(), form=TemplateForm(),
        language=_language(), now=utcnow())


def format_labels() -> dict[str, str]:
    return {"long": _("Long courses (more than 24 hours, such as the 60-hour ones)"),
            "short": _("Short courses (up to 24 hours)")}


@bp.route("/manage/evaluations/templates", methods=["POST"])
@require(is_admin)
def create_template():
    form = TemplateForm()
    if form.validate_on_submit():
        done = perform(lambda: evaluations.create_template(form.format.data, utcnow(),
                                                           current_user))
        if done:
            flash(_("The default template is made: change its questions as you see fit."),
                  "success")
            return redirect(url_for("surveys.survey", survey_id=done.value.id))
    return redirect(url_for("surveys.evaluation_list"))


@bp.route("/manage/courses/<int:course_id>/evaluations")
@require(is_admin)
def course_report(course_id: int):
    """A course's evaluations across its runs (those of the administrator's centre)."""
    course = db.get_or_404(Course, course_id)
    number, size = page_args(request.args)
    page = paginate(evaluations.evaluations_query(scoped_centre_id(current_user),
                                                  course_id=course.id), number, size)
    return render_template(
        "surveys/evaluation_runs.html", page=page,
        rows=evaluations.evaluation_rows(page.items), course=course, trainer=None,
        totals=evaluations.totals(evaluations.evaluations_query(
            scoped_centre_id(current_user), course_id=course.id)),
        now=utcnow(), hidden={})


# ---------------------------------------------------------------- staff


def _run_for_staff(run_id: int) -> Run:
    run = db.get_or_404(Run, run_id)
    if current_user.role == Role.TRAINER and not is_trainer_of_run(current_user, run):
        abort(403)
    return run


def _evaluation(run: Run) -> tuple[Survey, int, str | None]:
    survey = evaluations.evaluation_of(run)
    if survey is None:
        abort(404)
    answered = services.response_count(survey)
    hidden = None
    if current_user.role == Role.TRAINER:
        hidden = evaluations.hidden_from_trainers(survey, run, answered, utcnow())
    return services.survey_with_questions(survey.id), answered, hidden


@bp.route("/evaluations/runs/<int:run_id>")
@require(_is_staff)
def run_report(run_id: int):
    """A run's evaluation: response rate, and (for a trainer, once it may be read) the
    results of each question and the free-text answers, named only when signed."""
    run = _run_for_staff(run_id)
    survey, answered, hidden = _evaluation(run)
    row = evaluations.evaluation_rows([survey])[0]
    language = _language()
    question_results, texts = [], {}
    if hidden is None:
        question_results = results.question_results(survey, results.Filters(), language)
        texts = {q.id: evaluations.text_answers(survey, q, 1, TEXT_PREVIEW)
                 for q in survey.questions if q.kind in TEXT_KINDS}
    return render_template("surveys/evaluation_run.html", run=run, survey=survey, row=row,
                           hidden=hidden, results=question_results, texts=texts,
                           language=language, question_kinds=question_kind_labels(),
                           closed=evaluations.is_closed(survey, utcnow()),
                           minimum=evaluations.MIN_ANSWERS)


@bp.route("/evaluations/runs/<int:run_id>/questions/<int:question_id>")
@require(_is_staff)
def run_text_answers(run_id: int, question_id: int):
    """Every free-text answer to a question of a run's evaluation, a page at a time."""
    run = _run_for_staff(run_id)
    survey, _answered, hidden = _evaluation(run)
    question = next((q for q in survey.questions
                     if q.id == question_id and q.kind in TEXT_KINDS), None)
    if question is None:
        abort(404)
    if hidden is not None:
        flash(hidden, "info")
        return redirect(url_for("surveys.run_report", run_id=run.id))
    number, size = page_args(request.args, TEXT_PAGE_SIZE)
    page, names = evaluations.text_answers(survey, question, number, size)
    return render_template("surveys/evaluation_texts.html", run=run, survey=survey,
                           question=question, page=page, names=names, language=_language())


@bp.route("/evaluations/trainers/<int:trainer_id>")
@require(_is_staff)
def trainer_report(trainer_id: int):
    """A trainer's runs' evaluations over time (satisfaction per run, by date). A
    trainer reads only their own, and a run's numbers only once they may be read."""
    trainer = db.get_or_404(User, trainer_id)
    if current_user.role == Role.TRAINER and trainer.id != current_user.id:
        abort(404)
    if trainer.role != Role.TRAINER:
        abort(404)
    number, size = page_args(request.args)
    stmt = evaluations.evaluations_query(scoped_centre_id(current_user), trainer_id=trainer.id)
    page = paginate(stmt, number, size)
    rows = evaluations.evaluation_rows(page.items)
    now = utcnow()
    hidden = {}
    if current_user.role == Role.TRAINER:
        hidden = {row.survey.id: reason for row in rows if (
            reason := evaluations.hidden_from_trainers(row.survey, row.run, row.answered,
                                                       now))}
    # An administrator also reads the totals over all the trainer's runs; a trainer
    # only each run whose results they may read.
    totals = evaluations.totals(stmt) if current_user.role == Role.ADMIN else None
    return render_template("surveys/evaluation_runs.html", page=page, rows=rows,
                           totals=totals, course=None, trainer=trainer, now=now,
                           hidden=hidden)
