"""Command-line interface: `flask create-user`, `flask demo`, `flask backup` (and `lms ...`)."""

import logging

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup

import lms
from lms.audit.chain import verify_chain
from lms.auth import services as accounts
from lms.auth.models import Role
from lms.backup import backup_command, restore_command
from lms.clock import today_at, utcnow, zone
from lms.demo import load_demo
from lms.errors import DomainError
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.jobs.cli import jobs_group
from lms.notifications.delivery import deliver_outbox
from lms.notifications.models import Notification, OutboxState
from lms.notifications.worker import MailWorker
from lms.privacy.cli import privacy_group
from lms.surveys.evaluations import close_due, send_reminders


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.TRAINEE.value,
    show_default=True,
)
@click.option("--name", "full_name", required=True, help="The person's full name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given.",
)
def create_user_command(email: str, role: str, full_name: str, password: str) -> None:
    """Create an account (admins and trainers are made this way or by an admin)."""
    try:
        user = accounts.create_user(email, password, full_name, Role(role))
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(
        _(
            "Created %(role)s %(email)s (%(name)s).",
            role=user.role.value,
            email=user.email,
            name=user.full_name,
        )
    )


@click.command("demo")
def demo_command() -> None:
    """Load the demo catalogue, centres and people; running it again changes nothing."""
    # The demo's dates are days in the network's default zone (Budapest).
    summary = load_demo(today_at(utcnow(), zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])))
    db.session.commit()
    if any((summary.centres, summary.courses, summary.runs, summary.users, summary.enrolments,
            summary.certificates)):
        click.echo(_("Demo loaded: %(centres)d centres, %(courses)d courses, %(runs)d runs, "
                     "%(users)d people, %(enrolments)d enrolments, %(certificates)d "
                     "certificates.", centres=summary.centres, courses=summary.courses,
                     runs=summary.runs, users=summary.users, enrolments=summary.enrolments,
                     certificates=summary.certificates))
    else:
        click.echo(_("Demo data already present; nothing changed."))
    click.echo(_("Demo logins:"))
    for role, email, password in summary.logins:
        click.echo(f"  {role:<8} {email:<36} {password}")


@click.group("outbox")
def outbox_group() -> None:
    """The e-mail outbox: messages wait here until the SMTP server takes them."""


@outbox_group.command("send")
@click.option("--loop", "interval", type=float, default=0,
              help="Keep sending every INTERVAL seconds: the mail worker, run beside the "
                   "web server until SIGTERM or Ctrl-C.")
def outbox_send_command(interval: float) -> None:
    """Send the messages that are due, retrying the ones that failed before.

    Without MAIL_SERVER each message is printed here in full instead, and stays
    in the outbox as "not sent: no mail server".
    """
    if not interval:
        sent, failed, not_sent = deliver_outbox(console=click.echo)
        click.echo(_("Sent %(sent)d, failed %(failed)d (they will be retried).",
                     sent=sent, failed=failed))
        if not_sent:
            click.echo(_("%(count)d not sent: no mail server is configured (MAIL_SERVER); "
                         "printed above.", count=not_sent))
        return
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                            "%(message)s")
    banner = _("Mail worker: sending the outbox every %(seconds)s s (Ctrl-C stops).",
               seconds=f"{interval:g}")
    MailWorker(interval, echo=click.echo, banner=banner).run()
    click.echo(_("Mail worker stopped."))


@outbox_group.command("status")
def outbox_status_command() -> None:
    """How many messages wait, and the last error."""
    waiting = db.session.scalars(
        sa.select(Notification).where(Notification.state != OutboxState.SENT)
        .order_by(Notification.id)
    ).all()
    click.echo(_("%(count)d messages waiting.", count=len(waiting)))
    for notification in waiting[:20]:
        click.echo(f"  #{notification.id} {notification.user.email} "
                   f"{notification.state.value} attempts={notification.attempts} "
                   f"{notification.last_error}")


@click.group("evaluations")
def evaluations_group() -> None:
    """Course evaluations: the daily reminders and closings."""


@evaluations_group.command("daily")
def evaluations_daily_command() -> None:
    """Close the evaluations past their closing date and send the one reminder to the
    trainees who have not answered an evaluation closing soon. Run it daily (cron);
    running it again the same day sends nothing twice."""
    now = utcnow()
    closed = close_due(now)
    reminded = send_reminders(now)
    db.session.commit()
    click.echo(ngettext("%(num)d evaluation closed.", "%(num)d evaluations closed.", closed))
    click.echo(ngettext("%(num)d reminder queued in the outbox.",
                        "%(num)d reminders queued in the outbox.", reminded))


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
def audit_verify_command() -> None:
    """Recompute the audit log's hash chain: OK with its count and head, or the first
    entry that was altered, moved or removed (exit status 1)."""
    verdict = verify_chain(db.session.connection())
    db.session.rollback()
    if verdict.ok:
        click.echo(_("OK: the audit log's %(count)d entries form an unbroken chain. Head: "
                     "%(head)s", count=verdict.count, head=verdict.head))
        return
    if verdict.problem == "missing":
        message = _("BROKEN: entry %(seq)d is missing (removed, or the entries after it "
                    "were renumbered). The chain holds up to entry %(last)d, head %(head)s.",
                    seq=verdict.seq, last=verdict.count, head=verdict.head)
    elif verdict.problem == "altered":
        message = _("BROKEN: entry %(seq)d (record id %(id)d) was altered or moved: its hash "
                    "does not match its content and the entry before it. The chain holds up "
                    "to entry %(last)d, head %(head)s.", seq=verdict.seq, id=verdict.entry_id,
                    last=verdict.count, head=verdict.head)
    else:
        message = _("BROKEN: the entry with record id %(id)d was committed outside the chain.",
                    id=verdict.entry_id)
    click.echo(message, err=True)
    raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(outbox_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(evaluations_group)
    app.cli.add_command(jobs_group)
    app.cli.add_command(privacy_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def main() -> None:
    """The `lms` console script: the same commands as `flask --app lms`."""
    FlaskGroup(create_app=lms.create_app)()
