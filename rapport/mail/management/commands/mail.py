"""``rapport mail ingest|replay|poll|smtpd``: receive email from the command line.

``ingest FILE`` (or ``-`` for standard input) stores and processes one raw RFC 822 message at
once and prints where it went; the exit code is 1 when it was quarantined or failed.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rapport.mail import actions
from rapport.mail.models import InboundEmail, InboundSource, InboundStatus


class Command(BaseCommand):
    help = (
        "Receive email: ingest a raw message, replay failed ones, poll IMAP, run the SMTP listener."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ingest = sub.add_parser("ingest", help="Store and process one raw RFC 822 message.")
        ingest.add_argument("file", help="Path of an .eml file, or - for standard input.")
        replay = sub.add_parser("replay", help="Process stored email again.")
        replay.add_argument("ids", nargs="*", type=int, help="InboundEmail ids.")
        replay.add_argument(
            "--all-failed", action="store_true", help="Every failed or quarantined email."
        )
        poll = sub.add_parser("poll", help="Fetch new mail from the IMAP mailboxes once.")
        poll.add_argument("--mailbox", default=None, help="Only the mailbox with this name.")
        smtpd = sub.add_parser("smtpd", help="Run the SMTP listener.")
        smtpd.add_argument("--host", default="127.0.0.1")
        smtpd.add_argument("--port", type=int, default=2525)

    def handle(self, *args, **options):
        return getattr(self, "handle_" + options["action"])(options)

    def handle_ingest(self, options):
        name = options["file"]
        if name == "-":
            raw = sys.stdin.buffer.read()
        else:
            path = Path(name)
            if not path.is_file():
                raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=2)
            raw = path.read_bytes()
        inbound = actions.store_inbound(raw, source=InboundSource.COMMAND)
        self._report(actions.process_email(inbound_id=inbound.pk))

    def handle_replay(self, options):
        if options["all_failed"]:
            ids = list(actions.failed_or_quarantined().order_by("pk").values_list("pk", flat=True))
        else:
            ids = options["ids"]
        if not ids:
            raise CommandError(_("Name the ids to replay, or use --all-failed."), returncode=2)
        failed = False
        for inbound_id in ids:
            inbound = InboundEmail.objects.filter(pk=inbound_id).first()
            if inbound is None:
                self.stderr.write(_("No received email with id %(id)s.") % {"id": inbound_id})
                failed = True
                continue
            failed |= not self._report(actions.replay_email(inbound=inbound), exit=False)
        if failed:
            raise CommandError(_("Some emails could not be processed."), returncode=1)

    def _report(self, outcome, *, exit: bool = True) -> bool:
        inbound = outcome.inbound
        if inbound.status in (InboundStatus.PROCESSED, InboundStatus.DUPLICATE):
            line = _("#%(id)s %(status)s: conversation %(number)s") % {
                "id": inbound.pk,
                "status": inbound.get_status_display(),
                "number": outcome.conversation_number,
            }
            if outcome.thread_reason:
                line += " " + _("(threading: %(reason)s)") % {"reason": outcome.thread_reason}
            self.stdout.write(line)
            return True
        message = _("#%(id)s %(status)s: %(reason)s") % {
            "id": inbound.pk,
            "status": inbound.get_status_display(),
            "reason": inbound.reason,
        }
        if exit:
            raise CommandError(message, returncode=1)
        self.stderr.write(message)
        return False

    def handle_poll(self, options):
        from rapport.mail.imap import poll_all
        from rapport.mail.models import Mailbox

        try:
            results = poll_all(mailbox_name=options["mailbox"])
        except Mailbox.DoesNotExist:
            raise CommandError(f"No mailbox is named {options['mailbox']!r}.") from None
        if not results:
            self.stdout.write("No active mailbox to poll.")
        failed = False
        for result in results:
            if result.error:
                failed = True
                self.stderr.write(f"{result.mailbox}: {result.error}")
            elif not result.claimed:
                self.stdout.write(f"{result.mailbox}: another worker is polling it right now.")
            else:
                note = (
                    " (UIDVALIDITY changed: unread mail read again)"
                    if result.uid_validity_changed
                    else ""
                )
                self.stdout.write(f"{result.mailbox}: {result.stored} new message(s) stored{note}.")
        if failed:
            raise CommandError("Some mailboxes could not be polled.", returncode=1)

    def handle_smtpd(self, options):
        from rapport.mail.smtp_listener import serve

        serve(options["host"], options["port"])
