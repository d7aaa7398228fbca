from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from lms.auth.models import Role
from lms.auth.passwords import MAX_PASSWORD, MIN_PASSWORD
from lms.auth.services import PROFILE_FIELDS, REGISTER_NUMBER
from lms.clock import EUROPEAN_ZONES
from lms.formtools import Form, options
from lms.i18n import LANGUAGE_NAMES
from lms.i18n import lazy_gettext as _l


def _email_field(label=None):
    return EmailField(
        label or _l("E-mail"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Email(
                _l("Enter a valid e-mail address, like name@example.org."),
                check_deliverability=False,
            ),
            Length(max=254),
        ],
    )


def _new_password_field(label):
    return PasswordField(
        label,
        description=_l("At least %(min)d characters and not a common password: a few "
                       "unrelated words work well.", min=MIN_PASSWORD),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=_l(
                    "The password must be at least %(min)d characters long.", min=MIN_PASSWORD
                ),
            ),
        ],
    )


class ProfileFieldsMixin:
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your full name.")), Length(max=200)],
    )
    organisation = StringField(_l("Employer organisation"), validators=[Length(max=200)])
    job_title = StringField(_l("Job title"), validators=[Length(max=200)])
    county = StringField(_l("County or region"), validators=[Length(max=100)])
    settlement = StringField(_l("Settlement"), validators=[Length(max=100)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=40)])

    def profile_data(self) -> dict:
        """The person's details as the account services take them."""
        return {name: getattr(self, name).data for name in PROFILE_FIELDS}


class RegistrationForm(ProfileFieldsMixin, Form):
    email = _email_field()
    password = _new_password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[EqualTo("password", message=_l("The two passwords do not match."))],
    )


class LoginForm(Form):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


def language_choices():
    return options([("", _l("As the browser asks")), *LANGUAGE_NAMES.items()])


def zone_choices():
    return options(
        [("", _l("Automatic (from your language)"))]
        + [(zone, zone.replace("_", " ")) for zone in EUROPEAN_ZONES]
    )


class ProfileForm(ProfileFieldsMixin, Form):
    locale = SelectField(_l("Language"), choices=language_choices, validate_choice=True)
    time_zone = SelectField(
        _l("Time zone"),
        description=_l(
            "Dates and times of changes and messages are shown in this zone. Session times "
            "are always those of the centre, with your own time added when it differs."
        ),
        choices=zone_choices,
        validate_choice=True,
    )


    # Accredited continuing training in Hungary: optional.
    register_number = StringField(
        _l("Registration number in the operational register of social professionals"),
        description=_l("Optional. Printed on the certificates of accredited trainings. "
                       "Letters, digits, hyphens and slashes, at most 30 characters."),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            Optional(),
            Length(max=30, message=_l("At most 30 characters.")),
            Regexp(REGISTER_NUMBER.pattern + r"\Z", message=_l(
                "Use only letters, digits, hyphens and slashes, at most 30 characters.")),
        ],
    )
    training_period_start = DateField(
        _l("First day of your current training period"),
        description=_l("Optional. Your points are counted per training period."),
        validators=[Optional()],
    )
    training_period_end = DateField(
        _l("Last day of your current training period"),
        description=_l("Left empty: four years after the first day, less one day."),
        validators=[Optional()],
    )

    def training_data(self) -> dict:
        """The register number and training period as `set_training_record` takes them."""
        return {"register_number": self.register_number.data,
                "start": self.training_period_start.data, "end": self.training_period_end.data}


class EmailChangeForm(Form):
    """A new e-mail address: takes effect once confirmed from a link sent to it."""

    new_email = _email_field(_l("New e-mail address"))
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", message=_l("The two passwords do not match."))],
    )


def role_choices():
    return options(
        [
            (Role.TRAINEE.value, _l("Trainee")),
            (Role.TRAINER.value, _l("Trainer")),
            (Role.ADMIN.value, _l("Administrator")),
        ]
    )


def _centre_field():
    # Choices (the centres) are set by the view.
    return SelectField(
        _l("Administers"),
        description=_l("For administrators: the whole network, or only one centre's runs, "
                       "rosters, registers and certificates."),
        coerce=int,
    )


class NewUserForm(ProfileFieldsMixin, Form):
    """An administrator creates an account (trainers and admins are made this way)."""

    email = _email_field()
    role = SelectField(_l("Role"), choices=role_choices)
    centre_id = _centre_field()
    password = _new_password_field(_l("Initial password"))


class EditUserForm(ProfileFieldsMixin, Form):
    role = SelectField(_l("Role"), choices=role_choices)
    centre_id = _centre_field()
    active = BooleanField(_l("Active (can log in)"))


class ForgotPasswordForm(Form):
    email = _email_field()


class ResetPasswordForm(Form):
    new_password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", message=_l("The two passwords do not match."))],
    )
