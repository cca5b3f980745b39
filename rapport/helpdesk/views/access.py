"""Who may use the helpdesk pages, and loading a conversation for the signed-in user."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from rapport.accounts.models import HELPDESK_ROLES
from rapport.helpdesk.models import Conversation
from rapport.helpdesk.queries import get_conversation


def can_use_helpdesk(user) -> bool:
    return bool(getattr(user, "is_staff_member", False) and user.role in HELPDESK_ROLES)


def helpdesk_required(view):
    """Send anonymous visitors to the login page; refuse all but agents, managers and admins."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_use_helpdesk(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def load_conversation(request, conversation_id) -> Conversation:
    """Return the conversation if the signed-in user may see it; 404 otherwise."""
    try:
        return get_conversation(request.user, conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None
