"""The forms of the survey builder and of a respondent."""

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.formtools import Form, options
from lms.i18n import LANGUAGE_NAMES
from lms.i18n import lazy_gettext as _l
from lms.surveys.models import LANGUAGES, QuestionKind


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (no JavaScript needed)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def language_names() -> dict[str, str]:
    """Each language a survey may be offered in, named in itself (as the header's menu)."""
    return dict(LANGUAGE_NAMES)


def kind_labels() -> dict[str, str]:
    return {"needs": _l("Training needs"), "evaluation": _l("Course evaluation")}


def question_kind_labels() -> dict[str, str]:
    return {
        QuestionKind.SINGLE.value: _l("Single choice"),
        QuestionKind.MULTIPLE.value: _l("Multiple choice"),
        QuestionKind.SCALE.value: _l("Scale from 1 to 5"),
        QuestionKind.GRID.value: _l("Grid of scales (a 1–5 scale for each row)"),
        QuestionKind.SHORT_TEXT.value: _l("Short text"),
        QuestionKind.LONG_TEXT.value: _l("Long text"),
    }


def organisation_type_labels() -> dict[str, str]:
    return {"municipality": _l("Municipality or its institution"),
            "state": _l("State institution"), "ngo": _l("Non-governmental organisation"),
            "church": _l("Church-run provider"), "private": _l("Private provider"),
            "other": _l("Other")}


def team_role_labels() -> dict[str, str]:
    return {"social_worker": _l("Social workers"), "carer": _l("Carers"),
            "psychologist": _l("Psychologists"), "educator": _l("Teachers and educators"),
            "manager": _l("Managers"), "volunteer": _l("Volunteers"), "other": _l("Others")}


def _texts(prefix: str, label, area: bool = False, limit: int = 1000):
    """A field per language; `label(name)` gives its (lazy) label."""
    field = TextAreaField if area else StringField
    return {f"{prefix}_{code}": field(label(name), validators=[Length(max=limit)])
            for code, name in language_names().items()}


class SurveyForm(Form):
    kind = RadioField(_l("Kind of survey"), choices=options(kind_labels().items()),
                      default="needs", validators=[InputRequired(_l("Choose the kind."))])
    languages = CheckboxesField(_l("Offered in"), choices=options(language_names().items()),
                                default=["hu", "en"])
    locals().update(_texts("title", lambda name: _l("Title (%(language)s)", language=name),
                         limit=300))
    locals().update(_texts("intro", lambda name: _l("Introduction (%(language)s)", language=name),
                         area=True, limit=5000))
    opens_on = DateField(_l("Opens on"), description=_l("From the start of this day."),
                         validators=[InputRequired(_l("Enter the day it opens."))])
    closes_on = DateField(_l("Closes on"), description=_l("At the end of this day."),
                          validators=[InputRequired(_l("Enter the day it closes."))])
    centre = SelectField(_l("Centre"), coerce=int, default=0,
                         description=_l("A centre's survey is managed by its administrators "
                                        "too; without one it is the whole network's."))

    def texts(self, prefix: str) -> dict[str, str]:
        return {code: self[f"{prefix}_{code}"].data or "" for code in LANGUAGES}


class SectionForm(Form):
    locals().update(_texts("title", lambda name: _l("Heading (%(language)s)", language=name),
                         limit=300))

    def texts(self) -> dict[str, str]:
        return {code: self[f"title_{code}"].data or "" for code in LANGUAGES}


class QuestionForm(Form):
    section = SelectField(_l("Section"), coerce=int)
    kind = SelectField(_l("Kind of question"), choices=options(question_kind_labels().items()),
                       validators=[InputRequired(_l("Choose the kind."))])
    required = BooleanField(_l("An answer is required"))
    topics = BooleanField(_l("These options are training topics (ranked by demand in the "
                             "results)"))
    locals().update(_texts("text", lambda name: _l("Question (%(language)s)", language=name),
                         area=True))
    locals().update({
        f"options_{code}": TextAreaField(
            _l("Options or rows (%(language)s)", language=name),
            description=_l("One a line, the same number in every language. For a choice "
                           "question its options; for a grid its rows."),
            validators=[Length(max=20000)])
        for code, name in language_names().items()})

    def texts(self) -> dict[str, str]:
        return {code: self[f"text_{code}"].data or "" for code in LANGUAGES}

    def option_lines(self) -> dict[str, list[str]]:
        return {code: (self[f"options_{code}"].data or "").splitlines() for code in LANGUAGES}


class MoveForm(Form):
    direction = HiddenField(validators=[DataRequired()])


class CourseDraftForm(Form):
    code = StringField(_l("Course code"), validators=[
        DataRequired(_l("Enter the course's code.")), Length(max=30)])
    total_hours = IntegerField(_l("Total hours"), default=24, validators=[
        InputRequired(_l("Enter the hours.")),
        NumberRange(min=1, max=1000, message=_l("Enter 1 to 1000 hours."))])
    language = SelectField(_l("Language"), choices=options(language_names().items()))


class RespondentForm(Form):
    """Who answers a needs survey: the organisation, not the person."""

    organisation_name = StringField(_l("Name of your organisation"),
                                    validators=[Optional(), Length(max=300)])
    organisation_type = SelectField(
        _l("Type of your organisation"),
        choices=options([("", _l("Choose…")), *organisation_type_labels().items()]),
        validators=[DataRequired(_l("Choose the type of your organisation."))])
    settlement = StringField(_l("Settlement"), validators=[Optional(), Length(max=100)])
    # Its choices (the counties of the survey's centre's country) are set by the view.
    county = SelectField(_l("County"), choices=[],
                         validators=[DataRequired(_l("Choose your county."))])
    team_roles = CheckboxesField(_l("Who works in your team"),
                                 choices=options(team_role_labels().items()))


class EvaluationForm(Form):
    """A trainee's choice to sign their evaluation (anonymous unless they do)."""

    signed = BooleanField(_l("Sign my answers with my name"),
                          description=_l("Leave this unticked to answer anonymously: trainers "
                                         "and reports then never show who answered."))


class TemplateForm(Form):
    """Create the default evaluation template of a course format."""

    format = HiddenField(validators=[DataRequired()])
