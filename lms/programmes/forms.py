"""The programme form."""

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.formtools import Form, options
from lms.i18n import lazy_gettext as _l


def _target(label):
    return IntegerField(label, validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter 0 or more."))])


class ProgrammeForm(Form):
    code = StringField(
        _l("Code"), description=_l("As the funder writes it, e.g. TÁMOP-5.1.3-09/1."),
        validators=[DataRequired(_l("Enter the programme's code.")), Length(max=60)])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the programme's name.")),
                                               Length(max=300)])
    funder = StringField(_l("Funder"), description=_l("E.g. the European Social Fund Plus."),
                         validators=[Length(max=300)])
    starts_on = DateField(_l("Period starts"),
                          validators=[InputRequired(_l("Enter the day the period starts."))])
    ends_on = DateField(_l("Period ends"),
                        validators=[InputRequired(_l("Enter the day the period ends."))])
    acknowledgement_hu = TextAreaField(
        _l("Acknowledgement in Hungarian"),
        description=_l("Printed on the certificates and sign-in sheets of its runs held in "
                       "this language."),
        validators=[Length(max=1000)])
    acknowledgement_bg = TextAreaField(_l("Acknowledgement in Bulgarian"),
                                       validators=[Length(max=1000)])
    acknowledgement_en = TextAreaField(
        _l("Acknowledgement in English"),
        description=_l("Also used where the run's language has none."),
        validators=[Length(max=1000)])
    asks_participant_data = BooleanField(
        _l("Ask participants the ESF+ indicator data at enrolment"),
        description=_l("Gender, year of birth, labour-market status, education, and the "
                       "optional sensitive questions with their consent."))
    target_participants = _target(_l("Target: participants"))
    target_completions = _target(_l("Target: completions"))
    target_hours = _target(_l("Target: hours delivered"))
    target_long_runs = _target(_l("Target: 60-hour trainings"))
    target_short_runs = _target(_l("Target: 24-hour trainings"))
    active = BooleanField(_l("Active (runs can be put in it)"), default=True)


UNDISCLOSED = ("undisclosed", _l("I prefer not to say"))


class ParticipantForm(Form):
    """The ESF+ indicator questions asked at enrolment in a programme's run."""

    gender = RadioField(_l("Gender"), choices=options([
        ("female", _l("Woman")), ("male", _l("Man")), ("non_binary", _l("Non-binary")),
        UNDISCLOSED]), validators=[InputRequired(_l("Choose an answer."))])
    birth_year = IntegerField(_l("Year of birth"), validators=[
        InputRequired(_l("Enter your year of birth.")),
        NumberRange(min=1900, max=2200, message=_l("Enter a year such as 1984."))])
    labour_status = RadioField(_l("Your situation on the labour market today"), choices=options([
        ("employed", _l("Employed, including self-employed")),
        ("unemployed", _l("Unemployed")),
        ("long_term_unemployed", _l("Unemployed for more than 12 months")),
        ("inactive", _l("Not working and not looking for work (e.g. studying, retired, "
                        "on parental leave)"))]),
        validators=[InputRequired(_l("Choose an answer."))])
    education = RadioField(_l("Highest education completed"), choices=options([
        ("isced_0_2", _l("Primary or lower secondary (ISCED 0–2)")),
        ("isced_3_4", _l("Upper secondary or post-secondary, not tertiary (ISCED 3–4)")),
        ("isced_5_8", _l("Tertiary: college, university or doctorate (ISCED 5–8)"))]),
        validators=[InputRequired(_l("Choose an answer."))])
    sensitive_consent = BooleanField(_l("I agree to answer the optional questions below"))
    disability = RadioField(_l("Do you live with a disability?"),
                            choices=options([("yes", _l("Yes")), ("no", _l("No")), UNDISCLOSED]),
                            validators=[Optional()])
    foreign_background = RadioField(
        _l("Are you, or are both your parents, born outside this country?"),
        choices=options([("yes", _l("Yes")), ("no", _l("No")), UNDISCLOSED]),
        validators=[Optional()])
    minority = RadioField(_l("Do you belong to a national or ethnic minority (including the "
                             "Roma)?"),
                          choices=options([("yes", _l("Yes")), ("no", _l("No")), UNDISCLOSED]),
                          validators=[Optional()])
    homeless = RadioField(_l("Are you homeless or excluded from housing?"),
                          choices=options([("yes", _l("Yes")), ("no", _l("No")), UNDISCLOSED]),
                          validators=[Optional()])
    rural = RadioField(_l("Do you live in a rural area (a village or a farmstead)?"),
                       choices=options([("yes", _l("Yes")), ("no", _l("No")), UNDISCLOSED]),
                       validators=[Optional()])
    reason = StringField(_l("Reason for the change"), validators=[Length(max=1000)])

    def answers(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "gender", "birth_year", "labour_status", "education", "sensitive_consent",
            "disability", "foreign_background", "minority", "homeless", "rural")}
