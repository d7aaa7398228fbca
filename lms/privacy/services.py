"""Requests about personal data (access, erasure, rectification): filed by a person,
answered by an administrator within the legal deadline."""

import calendar
from datetime import date, datetime

import sqlalchemy as sa

from lms.auth.models import User
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.privacy.models import OPEN_STATES, PrivacyRequest, RequestKind, RequestState


def one_month_after(day: date) -> date:
    """The same day of the next month, or its last day when shorter (31 Jan -> 28 Feb):
    the deadline of GDPR Art. 12(3)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def file_request(user: User, kind: RequestKind, details: str, now: datetime) -> PrivacyRequest:
    """Record a person's request; one open request of each kind at a time."""
    details = (details or "").strip()
    if kind == RequestKind.RECTIFICATION and not details:
        raise DomainError(_("Say what is wrong and what is right."), "details")
    open_one = db.session.scalar(sa.select(PrivacyRequest.id).where(
        PrivacyRequest.user_id == user.id, PrivacyRequest.kind == kind,
        PrivacyRequest.state.in_(OPEN_STATES)))
    if open_one is not None:
        raise DomainError(_("You already have an open request of this kind; we are on it."),
                          "kind")
    request = PrivacyRequest(user_id=user.id, kind=kind, state=RequestState.RECEIVED,
                             received_at=now, due_on=one_month_after(now.date()),
                             details=details[:2000])
    db.session.add(request)
    db.session.flush()
    return request


def start_request(request: PrivacyRequest, by: User, now: datetime) -> None:
    """An administrator takes up a received request."""
    if request.state != RequestState.RECEIVED:
        raise DomainError(_("This request is no longer waiting."))
    request.state, request.handled_by_id, request.handled_at = (
        RequestState.IN_PROGRESS, by.id, now)
    db.session.flush()


def close_request(request: PrivacyRequest, by: User, state: RequestState, outcome: str,
                  now: datetime) -> None:
    """An administrator answers a request: done or refused, saying what was done or why."""
    outcome = (outcome or "").strip()
    if request.state not in OPEN_STATES:
        raise DomainError(_("This request is already answered."))
    if state not in (RequestState.DONE, RequestState.REFUSED):
        raise DomainError(_("Choose done or refused."), "state")
    if not outcome:
        raise DomainError(_("Say what was done, or why the request is refused."), "outcome")
    request.state, request.outcome = state, outcome[:2000]
    request.handled_by_id, request.handled_at = by.id, now
    db.session.flush()


def is_overdue(request: PrivacyRequest, today: date) -> bool:
    return request.state in OPEN_STATES and request.due_on < today


def queue_statement(state: str = "") -> sa.Select:
    """The requests, open ones first by deadline, then the answered ones newest first."""
    stmt = sa.select(PrivacyRequest).options(sa.orm.joinedload(PrivacyRequest.user))
    if state in {s.value for s in RequestState}:
        stmt = stmt.where(PrivacyRequest.state == RequestState(state))
    is_open = sa.case((PrivacyRequest.state.in_(OPEN_STATES), 0), else_=1)
    return stmt.order_by(is_open, PrivacyRequest.due_on, PrivacyRequest.id)
