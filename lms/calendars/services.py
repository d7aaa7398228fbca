"""Calendars people take with them: a run's sessions ("Add to calendar") and a personal
feed that calendar programs subscribe to.

The feed's address carries no password: it is `/calendar/<user id>.<token>.ics`, where
the token is an HMAC, under a key derived from SECRET_KEY, of the user's random
`calendar_key`. Neither a copy of the database nor the key alone makes a working
address; a new key (or none) makes every earlier address answer 404.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import joinedload, selectinload

from lms.auth.models import Role, User
from lms.calendars.permissions import can_have_feed
from lms.courses.models import Run, RunStatus, Session
from lms.enrolment.models import Enrolment, EnrolmentState
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.notifications import ics
from lms.notifications.services import recipient_locale
from lms.trainers.models import TrainerAssignment, trainer_assignment_session
from lms.urls import public_url

# How far back a feed reaches (a year of past sessions: enough to look one up), and
# how often calendar programs are asked to fetch it again.
FEED_HISTORY = timedelta(days=366)
FEED_REFRESH = timedelta(hours=1)
TOKEN_MAX = 100  # longer than any token we make: refused before any hashing
VISIBLE_RUNS = (RunStatus.PUBLISHED, RunStatus.CLOSED)


# ---------------------------------------------------------------- a run's calendar


def run_is_public(run: Run) -> bool:
    """Published and closed runs are in the catalogue (or its history); drafts and
    cancelled runs only their administrators see."""
    return run.status in VISIBLE_RUNS


def run_with_sessions(run_id: int) -> Run | None:
    return db.session.scalar(
        sa.select(Run)
        .where(Run.id == run_id)
        .options(joinedload(Run.course), joinedload(Run.centre), selectinload(Run.sessions))
    )


def run_calendar(run: Run) -> str:
    return ics.run_calendar(run, current_app.config["MAIL_DOMAIN"])


def run_calendar_filename(run: Run) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", run.course.code).strip("-") or "run"
    day = f"-{run.first_date.isoformat()}" if run.first_date else ""
    return f"{code}{day}.ics"


# ---------------------------------------------------------------- the feed's address


def _signing_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"forras calendar feed", hashlib.sha256).digest()


def feed_token(user: User) -> str | None:
    """The token of the user's feed address; None when they have no feed."""
    if not user.calendar_key:
        return None
    digest = hmac.new(
        _signing_key(), f"{user.id}:{user.calendar_key}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class FeedAddress:
    https: str
    webcal: str


def feed_address(user: User) -> FeedAddress | None:
    """The absolute addresses of the user's feed (from PUBLIC_BASE_URL), or None."""
    token = feed_token(user)
    if token is None:
        return None
    url = public_url("calendars.feed", user_id=user.id, token=token)
    return FeedAddress(url, "webcal://" + url.split("://", 1)[1])


def feed_owner(user_id: int, token: str) -> User | None:
    """The user whose feed `token` opens; None for a wrong, old or turned-off token."""
    if len(token) > TOKEN_MAX:
        return None
    user = db.session.get(User, user_id)
    if user is None or not can_have_feed(user):
        return None
    expected = feed_token(user)
    if expected is None or not hmac.compare_digest(expected.encode(), token.encode()):
        return None
    return user


def start_feed(user: User) -> User:
    """Give the user a new feed address; any earlier one stops working."""
    if not can_have_feed(user):
        raise DomainError(_("Only trainees and trainers have a calendar feed."))
    user.calendar_key = secrets.token_urlsafe(32)
    db.session.flush()
    return user


def stop_feed(user: User) -> User:
    """Turn the user's feed off: its address answers 404 from now on."""
    user.calendar_key = None
    db.session.flush()
    return user


# ---------------------------------------------------------------- the feed's content


@dataclass
class Feed:
    entries: list[ics.FeedEntry]
    last_modified: datetime | None  # the latest change we know a time of


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _trainee_feed(user: User, since) -> Feed:
    """Sessions of the runs where the trainee holds a seat: CONFIRMED with a place,
    TENTATIVE while the centre decides (pending). Waitlist entries are left out: no
    seat is theirs, and a calendar full of trainings they may never attend helps
    nobody; the dashboard shows their place in line."""
    rows = db.session.execute(
        sa.select(Session, Enrolment.state)
        .join(Enrolment, Enrolment.run_id == Session.run_id)
        .join(Run, Run.id == Session.run_id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.state.in_((EnrolmentState.ENROLLED, EnrolmentState.PENDING)),
            Run.status.in_(VISIBLE_RUNS),
            Session.date >= since,
        )
        .options(
            joinedload(Session.run).joinedload(Run.course),
            joinedload(Session.run).joinedload(Run.centre),
        )
        .order_by(Session.date, Session.starts_at, Session.id)
    ).all()
    entries = [
        ics.FeedEntry(s, "CONFIRMED" if state == EnrolmentState.ENROLLED else "TENTATIVE")
        for s, state in rows
    ]
    # Every enrolment change (a place given, cancelled, a run cancelled) touches the
    # enrolment row, including those that take sessions out of the feed.
    changed = db.session.scalar(
        sa.select(sa.func.max(Enrolment.updated_at)).where(Enrolment.user_id == user.id)
    )
    return Feed(entries, _latest(changed, *(s.updated_at for s, _state in rows)))


def _trainer_feed(user: User, since) -> Feed:
    """The sessions the trainer's assignments cover (all of the run's, or the chosen
    ones) in published and closed runs, as on their "My sessions" page."""
    chosen = trainer_assignment_session
    sessions = list(
        db.session.scalars(
            sa.select(Session)
            .join(Run, Run.id == Session.run_id)
            .join(TrainerAssignment, TrainerAssignment.run_id == Session.run_id)
            .where(
                TrainerAssignment.trainer_id == user.id,
                TrainerAssignment.removed_at.is_(None),
                Run.status.in_(VISIBLE_RUNS),
                Session.date >= since,
                sa.or_(
                    ~sa.exists().where(chosen.c.assignment_id == TrainerAssignment.id),
                    sa.exists().where(
                        chosen.c.assignment_id == TrainerAssignment.id,
                        chosen.c.session_id == Session.id,
                    ),
                ),
            )
            .options(
                joinedload(Session.run).joinedload(Run.course),
                joinedload(Session.run).joinedload(Run.centre),
            )
            .order_by(Session.date, Session.starts_at, Session.id)
        ).unique()
    )
    entries = [ics.FeedEntry(s, "CONFIRMED") for s in sessions]
    removed, published, cancelled = db.session.execute(
        sa.select(
            sa.func.max(TrainerAssignment.removed_at),
            sa.func.max(Run.published_at),
            sa.func.max(Run.cancelled_at),
        )
        .join(Run, Run.id == TrainerAssignment.run_id)
        .where(TrainerAssignment.trainer_id == user.id)
    ).one()
    return Feed(
        entries, _latest(removed, published, cancelled, *(s.updated_at for s in sessions))
    )


def feed_of(user: User, now: datetime) -> Feed:
    """What the user's feed holds, in a fixed number of queries however many sessions."""
    since = (now - FEED_HISTORY).date()
    if user.role == Role.TRAINER:
        return _trainer_feed(user, since)
    return _trainee_feed(user, since)


def feed_fingerprint(user: User, feed: Feed) -> str:
    """A strong validator of the feed, from everything its events are written from, so
    that a calendar program's unchanged poll (If-None-Match) is answered without
    writing the calendar again."""
    digest = hashlib.sha256(f"{user.id}|{user.role}|{recipient_locale(user)}|".encode())
    digest.update(str(feed.last_modified).encode())
    for entry in feed.entries:
        session = entry.session
        run, centre = session.run, session.run.centre
        digest.update(
            repr(
                (entry.status, session.id, session.date, session.starts_at, session.ends_at,
                 session.sequence, session.updated_at, session.topic, session.room, run.venue,
                 run.course.title, centre.name, centre.address, centre.city, centre.time_zone)
            ).encode()
        )
    return digest.hexdigest()


def feed_calendar(user: User, feed: Feed, now: datetime) -> str:
    """The feed as iCalendar text, named in the user's language."""
    with force_locale(recipient_locale(user)):
        name = (
            _("Forrás: my sessions as trainer")
            if user.role == Role.TRAINER
            else _("Forrás: my trainings")
        )
    return ics.feed_calendar(
        feed.entries,
        current_app.config["MAIL_DOMAIN"],
        str(name),
        FEED_REFRESH,
        feed.last_modified or now,
    )
