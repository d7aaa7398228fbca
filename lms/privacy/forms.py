"""Forms of personal-data requests."""

from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from lms.formtools import Form, options
from lms.i18n import lazy_gettext as _l


def kind_labels() -> dict:
    return {"access": _l("A copy of my data, or an explanation of it"),
            "erasure": _l("Erase my account and data"),
            "rectification": _l("Correct data I cannot correct myself")}


def state_labels() -> dict:
    return {"received": _l("Received"), "in_progress": _l("In progress"),
            "done": _l("Done"), "refused": _l("Refused")}


class RequestForm(Form):
    kind = RadioField(_l("What do you ask?"),
                      choices=options([("erasure", _l("Erase my account and data")),
                                       ("rectification",
                                        _l("Correct data I cannot correct myself"))]),
                      validators=[InputRequired(_l("Choose what you ask."))])
    details = TextAreaField(
        _l("Details"), description=_l("For a correction: what is wrong and what is right."),
        validators=[Length(max=2000)])


class AnswerForm(Form):
    state = RadioField(_l("Answer"),
                       choices=options([("done", _l("Done")), ("refused", _l("Refused"))]),
                       validators=[InputRequired(_l("Choose done or refused."))])
    outcome = TextAreaField(
        _l("What was done, or why it is refused"), description=_l("The person reads this."),
        validators=[InputRequired(_l("Say what was done, or why the request is refused.")),
                    Length(max=2000)])
