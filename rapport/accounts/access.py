"""Who may open staff pages: the one check every staff view uses."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def require_staff(user) -> None:
    """Raise ``PermissionDenied`` unless ``user`` is an active staff member."""
    if not getattr(user, "is_staff_member", False):
        raise PermissionDenied


def staff_required(view):
    """Send anonymous visitors to the login page and refuse everyone who is not staff (403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapper
