"""Surveys: the builder and results for administrators (one scoped to a centre: that
centre's surveys), and the public page that answers a survey (no account needed)."""

import io
import secrets
from datetime import timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font

from lms.access import scoped_centre_id
from lms.audit.services import EXPORT, record_event
from lms.auth.permissions import is_admin, require
from lms.clock import utcnow, zone
from lms.courses.forms import ConfirmForm
from lms.courses.models import Centre
from lms.exports import csv_download, safe_cell
from lms.extensions import db, limiter
from lms.formtools import int_arg, options
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.paging import page_args, paginate
from lms.pipeline import explain_constraint, perform
from lms.surveys import bp, results, services
from lms.surveys.counties import counties_of
from lms.surveys.forms import (
    CourseDraftForm,
    MoveForm,
    QuestionForm,
    RespondentForm,
    SectionForm,
    SurveyForm,
    kind_labels,
    language_names,
    organisation_type_labels,
    question_kind_labels,
    team_role_labels,
)
from lms.surveys.models import (
    LANGUAGES,
    QuestionKind,
    Survey,
    SurveyKind,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyStatus,
)
from lms.surveys.permissions import can_change_survey, can_read_survey
from lms.templating import format_when

TEXT_PAGE_SIZE = 50

# Two answers sent at the same moment from one browser or account: the second is told.
for _constraint in ("uq_survey_response_survey_id_user_id",
                    "uq_survey_response_survey_id_browser_key"):
    explain_constraint(_constraint,
                       lambda: _("You have already answered this survey. Thank you!"))


def network_zone():
    return zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _survey(survey_id: int, change: bool = True) -> Survey:
    """The survey, if the administrator reaches it (a scoped one: their centre's and the
    evaluation templates; any other is not even said to exist), and, to `change` it,
    may change it (a template: a network administrator only, others 403)."""
    survey = services.survey_with_questions(survey_id)
    if survey is None or not can_read_survey(current_user, survey):
        abort(404)
    if change and not can_change_survey(current_user, survey):
        abort(403)
    return survey


def _language() -> str:
    return str(get_locale() or "en")


def _centre_choices() -> list[tuple[int, str]]:
    centre_id = scoped_centre_id(current_user)
    stmt = sa.select(Centre).order_by(Centre.name)
    if centre_id is not None:
        return [(c.id, c.name) for c in db.session.scalars(stmt.where(Centre.id == centre_id))]
    return [(0, _("The whole network (no centre)")),
            *((c.id, c.name) for c in db.session.scalars(stmt))]


# ---------------------------------------------------------------- the builder


@bp.route("/manage/surveys/")
@require(is_admin)
def survey_list():
    archived = request.args.get("archived") == "1"
    number, size = page_args(request.args)
    page = paginate(services.surveys_for(scoped_centre_id(current_user), archived), number, size)
    counts = dict(db.session.execute(
        sa.select(SurveyResponse.survey_id, sa.func.count())
        .where(SurveyResponse.survey_id.in_([s.id for s in page.items]))
        .group_by(SurveyResponse.survey_id)).all()) if page.items else {}
    return render_template("surveys/list.html", page=page, counts=counts, archived=archived,
                           kinds=kind_labels(), language=_language())


@bp.route("/manage/surveys/new", methods=["GET", "POST"])
@bp.route("/manage/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@require(is_admin)
def edit_survey(survey_id: int | None = None):
    survey = _survey(survey_id) if survey_id else None
    form = SurveyForm()
    form.centre.choices = _centre_choices()
    where = network_zone()
    if survey is not None and request.method == "GET":
        form.kind.data = survey.kind.value
        form.languages.data = survey.language_list
        for code in LANGUAGES:
            form[f"title_{code}"].data = survey.title.get(code, "")
            form[f"intro_{code}"].data = survey.intro.get(code, "")
        form.opens_on.data = survey.opens_at.astimezone(where).date()
        form.closes_on.data = (survey.closes_at.astimezone(where)
                               - timedelta(seconds=1)).date()
        form.centre.data = survey.centre_id or 0
    elif survey is None and request.method == "GET" and scoped_centre_id(current_user):
        form.centre.data = scoped_centre_id(current_user)
    if form.validate_on_submit():
        opens_at, closes_at = services.opening_instants(form.opens_on.data, form.closes_on.data,
                                                        where)
        centre = db.session.get(Centre, form.centre.data) if form.centre.data else None
        done = perform(lambda: services.save_survey(
            survey, kind=SurveyKind(form.kind.data), languages=form.languages.data or [],
            title=form.texts("title"), intro=form.texts("intro"), opens_at=opens_at,
            closes_at=closes_at, centre=centre, by=current_user), form)
        if done:
            flash(_("The survey is saved."), "success")
            return redirect(url_for("surveys.survey", survey_id=done.value.id))
    return render_template("surveys/form.html", form=form, survey=survey,
                           languages=language_names())


@bp.route("/manage/surveys/<int:survey_id>")
@require(is_admin)
def survey(survey_id: int):
    survey = _survey(survey_id, change=False)
    now = utcnow()
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    link = f"{base}/s/{survey.token}"
    centres = list(db.session.scalars(sa.select(Centre).order_by(Centre.name))) \
        if survey.centre_id is None else []
    return render_template(
        "surveys/survey.html", survey=survey, answered=services.response_count(survey),
        is_open=services.is_open(survey, now), link=link,
        centre_links=[(c, f"{link}?{urlencode({'centre': c.id})}") for c in centres],
        may_change=can_change_survey(current_user, survey),
        confirm=ConfirmForm(), move=MoveForm(), kinds=kind_labels(),
        question_kinds=question_kind_labels(), language=_language(), zone=network_zone())


@bp.route("/manage/surveys/<int:survey_id>/sections/new", methods=["GET", "POST"])
@bp.route("/manage/surveys/<int:survey_id>/sections/<int:section_id>/edit",
          methods=["GET", "POST"])
@require(is_admin)
def edit_section(survey_id: int, section_id: int | None = None):
    survey = _survey(survey_id)
    section = _section(survey, section_id) if section_id else None
    form = SectionForm()
    if section is not None and request.method == "GET":
        for code in LANGUAGES:
            form[f"title_{code}"].data = section.title.get(code, "")
    if form.validate_on_submit():
        done = perform(lambda: services.save_section(survey, section, form.texts()), form)
        if done:
            flash(_("The section is saved."), "success")
            return redirect(url_for("surveys.survey", survey_id=survey.id))
    return render_template("surveys/section.html", form=form, survey=survey, section=section)


def _section(survey: Survey, section_id: int) -> SurveySection:
    section = db.session.get(SurveySection, section_id)
    if section is None or section.survey_id != survey.id:
        abort(404)
    return section


def _question(survey: Survey, question_id: int) -> SurveyQuestion:
    question = db.session.get(SurveyQuestion, question_id)
    if question is None or question.survey_id != survey.id:
        abort(404)
    return question


@bp.route("/manage/surveys/<int:survey_id>/sections/<int:section_id>/move", methods=["POST"])
@require(is_admin)
def move_section(survey_id: int, section_id: int):
    survey = _survey(survey_id)
    section = _section(survey, section_id)
    form = MoveForm()
    if form.validate_on_submit() and form.direction.data in ("up", "down"):
        perform(lambda: services.move_section(survey, section, form.direction.data))
    return redirect(url_for("surveys.survey", survey_id=survey.id) + "#questions")


def _confirm_page(survey: Survey, *, heading: str, action: str, button: str,
                  effects: list[str], blocked: str | None, back: str | None = None,
                  danger: bool = True):
    """The page that says what a change to `survey` will do before it is done."""
    return render_template(
        "_confirm.html", heading=heading, subject=survey.title_in(_language()),
        back=back or url_for("surveys.survey", survey_id=survey.id), action=action,
        form=ConfirmForm(), button=button, button_class="button-danger" if danger else None,
        effects=effects, warnings=[], names=[], blocked=blocked)


def _unchangeable(survey: Survey) -> str | None:
    """Why the survey's questions cannot change now, or None."""
    if survey.status == SurveyStatus.ARCHIVED:
        return _("This survey is archived: it cannot change.")
    if services.has_responses(survey):
        return _("This survey has answers: its questions cannot change. Make a new version "
                 "to change them.")
    return None


@bp.route("/manage/surveys/<int:survey_id>/sections/<int:section_id>/remove",
          methods=["GET", "POST"])
@require(is_admin)
def remove_section(survey_id: int, section_id: int):
    """GET: what removing the section changes, and the button; POST: remove it."""
    survey = _survey(survey_id)
    section = _section(survey, section_id)
    back = url_for("surveys.survey", survey_id=survey.id) + "#questions"
    if request.method == "POST":
        return _change_status(survey, lambda s: services.remove_section(s, section),
                              lambda: _("The section is removed."), back)
    blocked = _unchangeable(survey)
    if blocked is None and section.questions:
        blocked = _("Move or remove this section's questions first.")
    if blocked is None and len(survey.sections) <= 1:
        blocked = _("A survey keeps at least one section.")
    return _confirm_page(
        survey, heading=_("Remove the section “%(title)s”",
                          title=section.title_in(_language()) or section.position + 1),
        action=url_for("surveys.remove_section", survey_id=survey.id, section_id=section.id),
        button=_("Remove the section"), back=back, blocked=blocked, effects=[
            ngettext("The section is deleted; it has %(num)d question.",
                     "The section is deleted; it has %(num)d questions.",
                     len(section.questions)),
            ngettext("The survey then has %(num)d section.",
                     "The survey then has %(num)d sections.", len(survey.sections) - 1),
            _("Nobody has answered the survey yet: no answer is lost."),
        ])


@bp.route("/manage/surveys/<int:survey_id>/questions/new", methods=["GET", "POST"])
@bp.route("/manage/surveys/<int:survey_id>/questions/<int:question_id>/edit",
          methods=["GET", "POST"])
@require(is_admin)
def edit_question(survey_id: int, question_id: int | None = None):
    survey = _survey(survey_id)
    question = _question(survey, question_id) if question_id else None
    form = QuestionForm()
    form.section.choices = [(s.id, s.title_in(_language()) or str(s.position + 1))
                            for s in survey.sections]
    if request.method == "GET":
        if question is not None:
            form.section.data = question.section_id
            form.kind.data = question.kind.value
            form.required.data = question.required
            form.topics.data = question.topics
            for code in LANGUAGES:
                form[f"text_{code}"].data = question.text.get(code, "")
                form[f"options_{code}"].data = "\n".join(
                    option.label.get(code, "") for option in question.options)
        else:
            form.section.data = int_arg(request.args, "section") or survey.sections[-1].id
    if form.validate_on_submit():
        section = _section(survey, form.section.data)
        done = perform(lambda: services.save_question(
            survey, question, section=section, kind=QuestionKind(form.kind.data),
            required=form.required.data, topics=form.topics.data, text=form.texts(),
            options=form.option_lines()), form)
        if done:
            flash(_("The question is saved."), "success")
            return redirect(url_for("surveys.survey", survey_id=survey.id)
                            + f"#question-{done.value.id}")
    return render_template("surveys/question.html", form=form, survey=survey, question=question,
                           frozen=services.has_responses(survey))


@bp.route("/manage/surveys/<int:survey_id>/questions/<int:question_id>/move", methods=["POST"])
@require(is_admin)
def move_question(survey_id: int, question_id: int):
    survey = _survey(survey_id)
    question = _question(survey, question_id)
    form = MoveForm()
    if form.validate_on_submit() and form.direction.data in ("up", "down"):
        perform(lambda: services.move_question(survey, question, form.direction.data))
    return redirect(url_for("surveys.survey", survey_id=survey.id) + f"#question-{question.id}")


@bp.route("/manage/surveys/<int:survey_id>/questions/<int:question_id>/remove",
          methods=["GET", "POST"])
@require(is_admin)
def remove_question(survey_id: int, question_id: int):
    """GET: what removing the question changes, and the button; POST: remove it."""
    survey = _survey(survey_id)
    question = _question(survey, question_id)
    back = url_for("surveys.survey", survey_id=survey.id) + "#questions"
    if request.method == "POST":
        return _change_status(survey, lambda s: services.remove_question(s, question),
                              lambda: _("The question is removed."), back)
    return _confirm_page(
        survey, heading=_("Remove the question “%(text)s”", text=question.text_in(_language())),
        action=url_for("surveys.remove_question", survey_id=survey.id, question_id=question.id),
        button=_("Remove the question"), back=back, blocked=_unchangeable(survey), effects=[
            ngettext("The question and its %(num)d answer option are deleted.",
                     "The question and its %(num)d answer options are deleted.",
                     len(question.options)),
            ngettext("The survey then has %(num)d question.",
                     "The survey then has %(num)d questions.", len(survey.questions) - 1),
            _("Nobody has answered the survey yet: no answer is lost."),
        ])


def _change_status(survey: Survey, operation, message, back: str | None = None):
    """The confirmed POST of a change to `survey`: do it, say so, go `back` (its page)."""
    if ConfirmForm().validate_on_submit() and perform(lambda: operation(survey)):
        flash(message(), "success")
    return redirect(back or url_for("surveys.survey", survey_id=survey.id))


@bp.route("/manage/surveys/<int:survey_id>/publish", methods=["POST"])
@require(is_admin)
def publish_survey(survey_id: int):
    return _change_status(_survey(survey_id), services.publish_survey,
                          lambda: _("The survey is published."))


@bp.route("/manage/surveys/<int:survey_id>/close", methods=["GET", "POST"])
@require(is_admin)
def close_survey(survey_id: int):
    """GET: what closing now changes, in answers and days, and the button; POST: close."""
    survey = _survey(survey_id)
    if request.method == "POST":
        return _change_status(survey, services.close_survey,
                              lambda: _("The survey is closed."))
    now = utcnow()
    days = max((survey.closes_at - now).days, 0)
    return _confirm_page(
        survey, heading=_("Close the survey now"),
        action=url_for("surveys.close_survey", survey_id=survey.id),
        button=_("Close the survey"),
        blocked=None if survey.status == SurveyStatus.PUBLISHED
        else _("Only a published survey can be closed."), effects=[
            _("Its address stops taking answers now instead of on %(when)s.",
              when=format_when(survey.closes_at)),
            ngettext("That is %(num)d day earlier than planned.",
                     "That is %(num)d days earlier than planned.", days),
            ngettext("The %(num)d answer already given is kept for the results.",
                     "The %(num)d answers already given are kept for the results.",
                     services.response_count(survey)),
            _("A closed survey cannot be opened again; a new version can be published."),
        ])


@bp.route("/manage/surveys/<int:survey_id>/archive", methods=["GET", "POST"])
@require(is_admin)
def archive_survey(survey_id: int):
    """GET: what archiving changes, and the button; POST: archive."""
    survey = _survey(survey_id)
    if request.method == "POST":
        return _change_status(survey, services.archive_survey,
                              lambda: _("The survey is archived."))
    effects = [
        _("The survey leaves the list of surveys in use and can no longer change; it is "
          "listed under “Archived surveys”."),
        ngettext("Its %(num)d answer stays for its results.",
                 "Its %(num)d answers stay for its results.", services.response_count(survey)),
    ]
    if survey.status == SurveyStatus.PUBLISHED:
        effects.insert(0, _("It is taking answers: its address stops taking them now."))
    return _confirm_page(
        survey, heading=_("Archive the survey"),
        action=url_for("surveys.archive_survey", survey_id=survey.id),
        button=_("Archive the survey"), effects=effects,
        blocked=None if survey.status != SurveyStatus.ARCHIVED
        else _("This survey is already archived."))


@bp.route("/manage/surveys/<int:survey_id>/new-version", methods=["GET", "POST"])
@require(is_admin)
def new_version(survey_id: int):
    """GET: what a new version copies and what becomes of this one, and the button;
    POST: make it."""
    survey = _survey(survey_id)
    if request.method == "GET":
        effects = [
            _("Version %(version)d is made as a draft, a copy of this one to change.",
              version=survey.version + 1),
            ngettext("The copy has %(num)d section.", "The copy has %(num)d sections.",
                     len(survey.sections)),
            ngettext("The copy has %(num)d question, with its answer options.",
                     "The copy has %(num)d questions, with their answer options.",
                     len(survey.questions)),
            ngettext("This version keeps its %(num)d answer, as given, for its results.",
                     "This version keeps its %(num)d answers, as given, for its results.",
                     services.response_count(survey)),
        ]
        if survey.status == SurveyStatus.PUBLISHED:
            effects.insert(1, _("This version closes now: its address stops taking answers "
                                "until the new version is published."))
        return _confirm_page(
            survey, heading=_("Make a new version"),
            action=url_for("surveys.new_version", survey_id=survey.id),
            button=_("Make the new version"), danger=False, effects=effects,
            blocked=None if survey.status != SurveyStatus.ARCHIVED
            else _("This survey is archived: it cannot change."))
    if ConfirmForm().validate_on_submit():
        done = perform(lambda: services.new_version(survey, current_user))
        if done:
            flash(_("Version %(version)d is a draft: change it, then publish it.",
                    version=done.value.version), "success")
            return redirect(url_for("surveys.survey", survey_id=done.value.id))
    return redirect(url_for("surveys.survey", survey_id=survey.id))


@bp.route("/manage/surveys/<int:survey_id>/preview")
@require(is_admin)
def preview(survey_id: int):
    survey = _survey(survey_id, change=False)
    language = _respondent_language(survey)
    form = RespondentForm(formdata=None)
    form.county.choices = county_choices(survey.centre)
    with force_locale(language):
        return render_template("surveys/answer.html", survey=survey, language=language,
                               form=form, errors={}, given={},
                               preview=True, centre=None,
                               question_kinds=question_kind_labels())


# ---------------------------------------------------------------- results


def _filters() -> results.Filters:
    centre_id = int_arg(request.args, "centre")
    return results.Filters(
        county=request.args.get("county", "").strip()[:100] or None,
        organisation_type=request.args.get("type", "").strip()[:20] or None,
        centre_id=centre_id)


@bp.route("/manage/surveys/<int:survey_id>/results")
@require(is_admin)
def survey_results(survey_id: int):
    survey = _survey(survey_id, change=False)
    filters = _filters()
    language = _language()
    rows = results.question_results(survey, filters, language)
    texts = {q.id: results.text_answers(survey, q, filters, 1, 5)
             for q in results.text_questions(survey)}
    return render_template(
        "surveys/results.html", survey=survey, filters=filters, results=rows, texts=texts,
        respondents=results.respondents(survey, filters), topics=results.topics_ranked(rows),
        counties=results.counties(survey), centres=results.centres(survey),
        types=organisation_type_labels(), language=language,
        question_kinds=question_kind_labels())


@bp.route("/manage/surveys/<int:survey_id>/questions/<int:question_id>/answers")
@require(is_admin)
def text_answers(survey_id: int, question_id: int):
    survey = _survey(survey_id, change=False)
    question = _question(survey, question_id)
    if question.kind not in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        abort(404)
    number, size = page_args(request.args, TEXT_PAGE_SIZE)
    page = results.text_answers(survey, question, _filters(), number, size)
    return render_template("surveys/answers.html", survey=survey, question=question,
                           page=page, language=_language())


def _export_labels() -> dict:
    return {
        "header": [_("Answered at"), _("Language"), _("Centre"), _("Type of organisation"),
                   _("Organisation"), _("Settlement"), _("County"), _("Team")],
        "when": format_when,
        "types": {key: str(value) for key, value in organisation_type_labels().items()},
        "roles": {key: str(value) for key, value in team_role_labels().items()},
    }


def _export_name(survey: Survey, extension: str) -> str:
    return f"survey-{survey.id}-v{survey.version}-results.{extension}"


@bp.route("/manage/surveys/<int:survey_id>/results.csv")
@require(is_admin)
def results_csv(survey_id: int):
    survey = _survey(survey_id, change=False)
    header, rows = results.export_rows(survey, _filters(), _language(), _export_labels())
    name = _export_name(survey, "csv")
    perform(lambda: record_event(EXPORT, "Survey", survey.id, name))
    return csv_download(name, header, rows)


@bp.route("/manage/surveys/<int:survey_id>/results.xlsx")
@require(is_admin)
def results_xlsx(survey_id: int):
    survey = _survey(survey_id, change=False)
    header, rows = results.export_rows(survey, _filters(), _language(), _export_labels())
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = _("Responses")[:31]
    sheet.append([safe_cell(cell) for cell in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    name = _export_name(survey, "xlsx")
    perform(lambda: record_event(EXPORT, "Survey", survey.id, name))
    return Response(out.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/manage/surveys/<int:survey_id>/options/<int:option_id>/course-draft",
          methods=["GET", "POST"])
@require(is_admin)
def course_draft(survey_id: int, option_id: int):
    survey = _survey(survey_id)
    option = db.session.get(SurveyOption, option_id)
    if option is None or option.question.survey_id != survey.id:
        abort(404)
    form = CourseDraftForm()
    form.language.choices = [(code, language_names()[code]) for code in survey.language_list]
    if request.method == "GET":
        form.language.data = survey.language_list[0]
    if form.validate_on_submit():
        done = perform(lambda: services.create_course_draft(
            option, code=form.code.data, total_hours=form.total_hours.data,
            language=form.language.data), form)
        if done:
            flash(_("The course %(code)s is a draft in the catalogue: complete it there.",
                    code=done.value.code), "success")
            return redirect(url_for("surveys.survey_results", survey_id=survey.id))
    return render_template("surveys/course_draft.html", form=form, survey=survey, option=option,
                           language=_language())


# ---------------------------------------------------------------- answering


def county_choices(centre: Centre | None) -> list:
    """The counties of the centre's country (of both for a network survey), after an
    empty first choice."""
    return options([("", _("Choose…")),
                    *((name, name) for name in counties_of(centre.country if centre else None))])


def _respondent_language(survey: Survey) -> str:
    offered = survey.language_list
    asked = request.args.get("lang", "")
    if asked in offered:
        return asked
    current = _language()
    return current if current in offered else offered[0]


def _cookie(survey: Survey) -> str:
    return f"survey-{survey.id}"


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SURVEY_ANSWER_LIMIT"], methods=["POST"])
def answer(token: str):
    survey = services.find_by_token(token)
    # A run's evaluation is answered only through each trainee's own link (/e/<key>).
    if survey is None or survey.status in (SurveyStatus.DRAFT, SurveyStatus.ARCHIVED) \
            or survey.run_id is not None:
        abort(404)
    survey = services.survey_with_questions(survey.id)
    language = _respondent_language(survey)
    centre = None
    if survey.centre_id is None and request.args.get("centre"):
        centre = db.session.get(Centre, int_arg(request.args, "centre") or 0)
    centre = centre or survey.centre
    key = request.cookies.get(_cookie(survey))
    with force_locale(language):
        if services.answered_by_user(survey, current_user) or (
                not current_user.is_authenticated and services.answered_by_browser(survey, key)):
            return render_template("surveys/done.html", survey=survey, language=language,
                                   already=True)
        if not services.is_open(survey, utcnow()):
            return render_template("surveys/done.html", survey=survey, language=language,
                                   closed=True), 410
        form = RespondentForm()
        form.county.choices = county_choices(centre)
        if request.method == "GET" and current_user.is_authenticated:
            form.county.data = current_user.county
            form.settlement.data = current_user.settlement
            form.organisation_name.data = current_user.organisation
        errors: dict[int, str] = {}
        given = request.form if request.method == "POST" else {}
        if request.method == "POST":
            answers, errors = services.read_answers(survey, request.form)
            # Only a needs survey asks about the organisation; any other checks its token.
            needs = survey.kind == SurveyKind.NEEDS
            valid = form.validate_on_submit() if needs else ConfirmForm().validate_on_submit()
            if valid and not errors:
                new_key = key or secrets.token_urlsafe(24)
                respondent = services.Respondent(
                    form.organisation_name.data or "", form.organisation_type.data,
                    form.settlement.data or "", form.county.data or "",
                    form.team_roles.data or []) if needs else services.Respondent()
                done = perform(lambda: services.submit_response(
                    survey, answers, respondent, language=language, now=utcnow(),
                    user=current_user, browser_key=new_key, centre=centre), form)
                if done:
                    response = redirect(url_for("surveys.thanks", token=survey.token,
                                                lang=language))
                    if not current_user.is_authenticated:
                        response.set_cookie(
                            _cookie(survey), new_key, max_age=400 * 24 * 3600,
                            path=f"/s/{survey.token}", secure=request.is_secure,
                            httponly=True, samesite="Lax")
                    return response
        page = render_template("surveys/answer.html", survey=survey, language=language,
                               form=form, errors=errors, given=given, preview=False,
                               centre=centre, question_kinds=question_kind_labels())
        return page, 400 if request.method == "POST" else 200


@bp.route("/s/<token>/thanks")
def thanks(token: str):
    survey = services.find_by_token(token)
    if survey is None or survey.status in (SurveyStatus.DRAFT, SurveyStatus.ARCHIVED):
        abort(404)
    language = _respondent_language(survey)
    with force_locale(language):
        return render_template("surveys/done.html", survey=survey, language=language)
