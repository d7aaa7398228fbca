from wtforms import SelectField, SelectMultipleField
from wtforms.validators import InputRequired

from lms.formtools import Form, options
from lms.i18n import lazy_gettext as _l
from lms.trainers.models import TrainerRole


class AssignTrainerForm(Form):
    trainer_id = SelectField(_l("Trainer"), coerce=int,
                             validators=[InputRequired(_l("Choose a trainer."))])
    role = SelectField(_l("Role"), choices=lambda: options([
        (TrainerRole.LEAD.value, _l("Lead trainer")),
        (TrainerRole.CO_TRAINER.value, _l("Co-trainer")),
    ]))
    sessions = SelectMultipleField(
        _l("Only these sessions"), coerce=int,
        description=_l("Leave all unticked to assign the trainer to every session."),
    )
