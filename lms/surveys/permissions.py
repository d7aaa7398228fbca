"""Who may read and who may change a survey. The evaluation templates are the
network's: every administrator reads them (a centre's runs are evaluated with them),
only a network administrator changes them. Any other survey: a centre's administrator
reaches their centre's only; a network survey, a network administrator only."""

from lms.access import scoped_centre_id
from lms.auth.permissions import is_admin
from lms.surveys.models import Survey


def can_read_survey(user, survey: Survey) -> bool:
    if not is_admin(user):
        return False
    centre_id = scoped_centre_id(user)
    return centre_id is None or survey.centre_id == centre_id or survey.template_for is not None


def can_change_survey(user, survey: Survey) -> bool:
    if not can_read_survey(user, survey):
        return False
    return survey.template_for is None or scoped_centre_id(user) is None
