from wtforms import EmailField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange

from lms.formtools import Form
from lms.i18n import lazy_gettext as _l


class CancelEnrolmentForm(Form):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=1000)])


class ReasonForm(Form):
    """Cancelling someone else's enrolment or refusing it needs a reason."""

    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=1000)]
    )


class EnrolOnBehalfForm(Form):
    email = EmailField(
        _l("Trainee's e-mail"),
        validators=[DataRequired(_l("Enter the trainee's e-mail address.")),
                    Email(_l("Enter a valid e-mail address."), check_deliverability=False),
                    Length(max=254)],
    )


class MoveForm(Form):
    run_id = SelectField(_l("Move to"), coerce=int)


class CapacityForm(Form):
    capacity = IntegerField(
        _l("Capacity"),
        validators=[InputRequired(_l("Enter the number of places.")),
                    NumberRange(min=1, max=1000, message=_l("Capacity must be at least 1."))],
    )
