"""Telling colleagues what concerns them: the people an internal note mentions."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.helpdesk.models import Direction, Message
from rapport.helpdesk.queries import visible_conversations

logger = logging.getLogger(__name__)


def notify_mentions(*, message_id: int) -> list[int]:
    """Email every colleague ``@mentioned`` in the note who may see its conversation.

    Each email is in the colleague's own language and links to the conversation. Returns the
    ids of the users notified.
    """
    note = (
        Message.objects.filter(pk=message_id, direction=Direction.NOTE)
        .select_related("conversation", "author")
        .first()
    )
    if note is None:
        return []
    conversation = note.conversation
    link = settings.SITE_URL.rstrip("/") + reverse("helpdesk:conversation", args=[conversation.pk])
    author = note.author.get_full_name() or note.author.username if note.author else "Rapport"
    notified = []
    for user in User.objects.filter(pk__in=note.data.get("mentions") or [], is_active=True):
        if not user.email or user.pk == note.author_id:
            continue
        if not visible_conversations(user).filter(pk=conversation.pk).exists():
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("%(author)s mentioned you in %(number)s") % {
                "author": author,
                "number": conversation.number,
            }
            body = "\n\n".join(
                [
                    _("%(author)s mentioned you in an internal note on %(number)s (%(subject)s):")
                    % {
                        "author": author,
                        "number": conversation.number,
                        "subject": conversation.subject,
                    },
                    note.body_text,
                    _("Open the conversation: %(link)s") % {"link": link},
                ]
            )
        send_mail(subject, body, None, [user.email])
        notified.append(user.pk)
    return notified
