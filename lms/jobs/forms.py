from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from lms.formtools import Form
from lms.i18n import lazy_gettext as _l


class RegistersForm(Form):
    """All registers of a year of one centre (the choices: the centres the admin reaches)."""

    centre = SelectField(_l("Centre"), coerce=int,
                         validate_choice=True)
    year = IntegerField(
        _l("Year"),
        description=_l("The runs whose first session fell in that year."),
        validators=[InputRequired(_l("Enter the year.")),
                    NumberRange(min=2000, max=2200,
                                message=_l("Enter a year between 2000 and 2200."))],
    )
