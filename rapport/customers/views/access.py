"""Who may open the staff pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from rapport.accounts.models import Role
from rapport.customers.models import Customer
from rapport.customers.queries import get_customer

MERGE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def can_merge(user) -> bool:
    return getattr(user, "is_staff_member", False) and user.role in MERGE_ROLES


def require_merge_permission(user) -> None:
    if not can_merge(user):
        raise PermissionDenied


def load_customer(request, customer_id) -> Customer:
    """Return the customer if the signed-in user may see it; 404 otherwise."""
    try:
        return get_customer(request.user, customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None
