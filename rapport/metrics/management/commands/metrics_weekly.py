"""Send the weekly KPI report email now, preview it, or send one copy to an address."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from rapport.metrics import weekly


class Command(BaseCommand):
    help = (
        "Email last week's KPI report to every manager and administrator not yet sent it "
        "(idempotent per week). --dry-run lists what would be sent; --to sends one copy to an "
        "address, unrecorded."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Send nothing; list recipients and subjects."
        )
        parser.add_argument(
            "--to",
            metavar="EMAIL",
            help="Send one copy to this address instead (not recorded as the week's report).",
        )

    def handle(self, *args, dry_run: bool, to: str | None, **options):
        first, last = weekly.last_week()
        if to is not None:
            self._preview(to, first, last, dry_run)
            return
        if dry_run:
            due = weekly.due_recipients(first)
            for user in due:
                message = weekly.build_message(user=user, first=first, last=last)
                self.stdout.write(f"{user.email}: {message.subject}")
            self.stdout.write(
                _("Dry run: %(count)d report(s) would be sent; nothing was sent.")
                % {"count": len(due)}
            )
            return
        sent = weekly.send_weekly_reports()
        self.stdout.write(_("%(count)d weekly report(s) sent.") % {"count": sent})

    def _preview(self, to: str, first, last, dry_run: bool) -> None:
        try:
            validate_email(to)
        except ValidationError:
            raise CommandError(_("“%(value)s” is not an email address.") % {"value": to}) from None
        # A manager's own address gets the report as they would see it; anyone else the whole.
        user = weekly.recipients().filter(email__iexact=to).first()
        message = weekly.build_message(user=user, first=first, last=last, to=to)
        if dry_run:
            self.stdout.write(f"{to}: {message.subject}\n\n{message.body}")
            return
        message.send()
        self.stdout.write(_("The weekly report was sent to %(to)s.") % {"to": to})
