"""Continuing-training points a trainee earned per training period (Hungary).

A valid certificate of an accredited course (one with an accreditation number and
points) counts in the period in which its run's last day falls, with the points
frozen in its facts. The periods are the person's current one (on their profile)
and, where certificates fall outside it, the four-year periods that follow each
other before and after it, as the register's periods do.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from lms.auth.models import User
from lms.auth.services import PERIOD_YEARS, add_years, default_period_end
from lms.certificates.models import Certificate, CertificateStatus


@dataclass
class PointsPeriod:
    """The points of one training period; start and end are None when the person has
    recorded no period (then every accredited certificate counts here)."""

    start: date | None
    end: date | None
    current: bool = False
    certificates: list[Certificate] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(c.facts["credit_points"] for c in self.certificates)


def _accredited(certificate: Certificate) -> bool:
    facts = certificate.facts or {}
    return (certificate.status == CertificateStatus.VALID
            and bool(facts.get("accreditation_number"))
            and isinstance(facts.get("credit_points"), int) and facts["credit_points"] > 0)


def _period_of(day: date, start: date, end: date) -> tuple[date, date]:
    """The period that holds `day`: the current one [start, end], or one of the
    four-year periods before or after it."""
    if day < start:
        steps = 1
        while add_years(start, -PERIOD_YEARS * steps) > day:
            steps += 1
        first = add_years(start, -PERIOD_YEARS * steps)
        return first, add_years(start, -PERIOD_YEARS * (steps - 1)) - timedelta(days=1)
    if day > end:
        first = end + timedelta(days=1)
        while add_years(first, PERIOD_YEARS) <= day:
            first = add_years(first, PERIOD_YEARS)
        return first, add_years(first, PERIOD_YEARS) - timedelta(days=1)
    return start, end


def points_by_period(user: User, certificates: list[Certificate]) -> list[PointsPeriod]:
    """The person's points per training period, oldest first, from their certificates
    (`certificates_of(user)`). The current period is always there, other
    periods only where a certificate counts; with no period recorded, one line with
    every accredited certificate (none when there is none)."""
    counted = sorted((c for c in certificates if _accredited(c)),
                     key=lambda c: (c.facts["last_day"], c.serial))
    start, end = user.training_period_start, user.training_period_end
    if start is None:
        return [PointsPeriod(None, None, certificates=counted)] if counted else []
    end = end or default_period_end(start)
    periods = {(start, end): PointsPeriod(start, end, current=True)}
    for certificate in counted:
        key = _period_of(date.fromisoformat(certificate.facts["last_day"]), start, end)
        periods.setdefault(key, PointsPeriod(*key)).certificates.append(certificate)
    return [periods[key] for key in sorted(periods)]
