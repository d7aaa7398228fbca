from decimal import Decimal

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from lms.clock import EUROPEAN_ZONES
from lms.courses.models import CertificateStyle
from lms.formtools import Form, SubForm, options
from lms.i18n import LANGUAGE_NAMES
from lms.i18n import lazy_gettext as _l

QUARTER = Decimal("0.25")


def quarter_hours(_form, field):
    if field.data is not None and field.data % QUARTER:
        raise ValidationError(_l("Use whole quarter hours, like 2.25 or 3.5."))


def _language_choices():
    return options(LANGUAGE_NAMES.items())


class CatalogueFilterForm(Form):
    """The catalogue's search box and filters, sent by GET and bookmarkable."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    format = SelectField(
        _l("Format"),
        choices=options(
            [
                ("", _l("All formats")),
                ("60", _l("60 hours")),
                ("24", _l("24 hours")),
                ("other", _l("Other lengths")),
            ]
        ),
        validators=[Optional()],
    )
    centre = SelectField(_l("Centre"), coerce=str, validators=[Optional()])
    region = SelectField(_l("Region"), coerce=str, validators=[Optional()])
    month = StringField(
        _l("Month"),
        validators=[
            Optional(),
            Regexp(
                r"^\d{4}-(0[1-9]|1[0-2])$",
                message=_l("Give the month as year and month, like 2027-03."),
            ),
        ],
        render_kw={"type": "month", "placeholder": "2027-03"},
    )


class CentreForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the centre's name.")), Length(max=200)]
    )
    organisation = StringField(
        _l("Operating organisation"),
        description=_l("The association or authority that runs the centre; "
                       "printed on certificates above the centre's name."),
        validators=[Length(max=300)],
    )
    city = StringField(
        _l("City"), validators=[DataRequired(_l("Enter the city.")), Length(max=100)]
    )
    region = StringField(_l("Region or county"), validators=[Length(max=100)])
    country = SelectField(
        _l("Country"), choices=options([("HU", _l("Hungary")), ("BG", _l("Bulgaria"))])
    )
    time_zone = SelectField(
        _l("Time zone"),
        description=_l("Session times at this centre are its local times in this zone."),
        choices=lambda: options([("", _l("The country's (Budapest or Sofia)"))]
                                + [(zone, zone.replace("_", " ")) for zone in EUROPEAN_ZONES]),
    )
    address = StringField(_l("Address"), validators=[Length(max=300)])
    signatory_name = StringField(_l("Signatory's name"), validators=[Length(max=200)])
    signatory_title = StringField(_l("Signatory's title"), validators=[Length(max=200)])
    serial_prefix = StringField(
        _l("Certificate serial prefix"),
        description=_l(
            "Two to six capital letters, e.g. RAZ; certificates are numbered RAZ-2026-0001."
        ),
        validators=[
            DataRequired(_l("Enter a prefix for certificate serial numbers.")),
            Regexp(r"^[A-Za-z]{2,6}$", message=_l("Use two to six letters A–Z.")),
        ],
    )
    active = BooleanField(_l("Active (shown in the catalogue filters)"), default=True)


class ModuleForm(SubForm):
    title = StringField(_l("Module"), validators=[Optional(), Length(max=300)])
    hours = DecimalField(
        _l("Hours"),
        places=None,
        validators=[
            Optional(),
            NumberRange(min=0, max=1000, message=_l("Hours must be between 0 and 1000.")),
            quarter_hours,
        ],
    )

    def validate_hours(self, field):
        if self.title.data and self.title.data.strip() and field.data is None:
            raise ValidationError(_l("Give the module's hours."))


class CourseForm(Form):
    code = StringField(
        _l("Code"),
        description=_l("A short unique code, e.g. KAP-60."),
        validators=[
            DataRequired(_l("Enter a course code.")),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]{1,29}$",
                message=_l("Use 2–30 letters, digits, dots, dashes."),
            ),
        ],
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Enter the title.")), Length(max=300)]
    )
    summary = TextAreaField(_l("Summary"), validators=[Length(max=1000)])
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    total_hours = IntegerField(
        _l("Total hours"),
        description=_l("60 and 24 are the standard formats."),
        validators=[
            InputRequired(_l("Enter the course's total hours.")),
            NumberRange(
                min=1, max=1000, message=_l("Total hours must be a whole number from 1 to 1000.")
            ),
        ],
    )
    target_group = TextAreaField(_l("Target group"), validators=[Length(max=1000)])
    accreditation_number = StringField(_l("Accreditation number"), validators=[Length(max=100)])
    credit_points = IntegerField(
        _l("Credit points"),
        validators=[
            Optional(),
            NumberRange(min=0, max=1000, message=_l("Credit points must be 0 to 1000.")),
        ],
    )
    language = SelectField(_l("Language of the course"), choices=_language_choices)
    modules = FieldList(FormField(ModuleForm), min_entries=3)

    def module_rows(self) -> list[tuple[str, int]]:
        return [
            (entry.form.title.data.strip(), int((entry.form.hours.data or 0) * 60))
            for entry in self.modules
            if entry.form.title.data and entry.form.title.data.strip()
        ]


def certificate_style_choices():
    return options(
        [
            (CertificateStyle.DEFAULT.value, _l("Default certificate of attendance")),
            (CertificateStyle.TANUSITVANY.value, _l("Hungarian Tanúsítvány")),
            (CertificateStyle.RAZGRAD.value, _l("Razgrad resource centre (Bulgarian)")),
        ]
    )


class RunForm(Form):
    course_id = SelectField(_l("Course"), coerce=int)
    centre_id = SelectField(_l("Centre"), coerce=int)
    venue = StringField(
        _l("Venue"),
        description=_l("Building and address where the sessions take place."),
        validators=[Length(max=300)],
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            InputRequired(_l("Enter the number of places.")),
            NumberRange(min=1, max=1000, message=_l("Capacity must be at least 1.")),
        ],
    )
    enrolment_opens = DateField(_l("Enrolment opens"), validators=[Optional()])
    enrolment_closes = DateField(_l("Enrolment closes"), validators=[Optional()])
    approval_required = BooleanField(_l("Enrolments need an administrator's approval"))
    min_attendance_pct = IntegerField(
        _l("Minimum attendance (%)"),
        default=90,
        validators=[
            InputRequired(_l("Enter the minimum attendance.")),
            NumberRange(min=1, max=100, message=_l("Use a percentage from 1 to 100.")),
        ],
    )
    language = SelectField(_l("Language of the run"), choices=_language_choices)
    certificate_style = SelectField(_l("Certificate style"), choices=certificate_style_choices)
    certificate_bilingual = BooleanField(
        _l("Bilingual certificate"),
        description=_l(
            "Prints English in smaller type under each line of the certificate, in every style."
        ),
        default=True,
    )
    registration_number = StringField(_l("Registration number"), validators=[Length(max=100)])
    programme_id = SelectField(
        _l("Programme"),
        coerce=int,
        description=_l("The programme that funds the run: its certificates and sign-in "
                       "sheets print its acknowledgement, and its reports count the run."),
    )
    funding_note = StringField(
        _l("Funding acknowledgement"),
        description=_l("Printed on certificates when the run is in no programme, or its "
                       "programme has no acknowledgement."),
        validators=[Length(max=500)],
    )

    def run_fields(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "venue",
                "capacity",
                "enrolment_opens",
                "enrolment_closes",
                "approval_required",
                "min_attendance_pct",
                "language",
                "certificate_style",
                "certificate_bilingual",
                "registration_number",
                "funding_note",
            )
        } | {"programme_id": self.programme_id.data or None}


class SessionForm(Form):
    date = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    starts_at = TimeField(_l("Starts"), validators=[InputRequired(_l("Enter the start time."))])
    ends_at = TimeField(_l("Ends"), validators=[InputRequired(_l("Enter the end time."))])
    hours = DecimalField(
        _l("Credited hours"),
        places=None,
        description=_l("Leave empty to credit the time between start and end."),
        validators=[
            Optional(),
            NumberRange(min=0.25, max=24, message=_l("Credited hours must be 0.25 to 24.")),
            quarter_hours,
        ],
    )
    topic = StringField(_l("Topic"), validators=[Length(max=300)])
    room = StringField(_l("Room"), validators=[Length(max=200)])

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The session must end after it starts."))


class CancelRunForm(Form):
    reason = TextAreaField(
        _l("Reason for cancelling"),
        validators=[DataRequired(_l("Give the reason for cancelling.")), Length(max=1000)],
    )


class ConfirmForm(Form):
    """A bare form: a button that posts with a CSRF token."""
