"""`flask privacy pseudonymise`: the daily job that ends the retention of erased people."""

import click

from lms.clock import utcnow
from lms.extensions import db
from lms.i18n import ngettext
from lms.privacy.erasure import pseudonymise_due


@click.group("privacy")
def privacy_group() -> None:
    """Personal data: the pseudonymisation of erased people whose retention ended."""


@privacy_group.command("pseudonymise")
def pseudonymise_command() -> None:
    """Pseudonymise the people of carried-out erasures whose retention end has passed.
    Run it daily (cron); a second run the same day changes nothing."""
    done = pseudonymise_due(utcnow())
    db.session.commit()
    click.echo(ngettext("%(num)d person pseudonymised.", "%(num)d people pseudonymised.", done))
