"""Reads for imports and exports, scoped by who asks."""

from django.db.models import QuerySet

from rapport.accounts.models import Role
from rapport.customers.models import Customer
from rapport.imports.models import ImportJob

#: Roles that may import: bulk changes to customer data are data management, not casework.
IMPORT_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETER})


def can_import(user) -> bool:
    """Return whether ``user`` may upload and run imports."""
    return bool(getattr(user, "is_staff_member", False) and user.role in IMPORT_ROLES)


def can_export(user) -> bool:
    """Return whether ``user`` may export customers: every staff member, marketers included."""
    return bool(getattr(user, "is_staff_member", False))


def visible_jobs(user) -> QuerySet[ImportJob]:
    """Return the import jobs ``user`` may see: all of them for staff, none otherwise."""
    if not getattr(user, "is_staff_member", False):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by")


def get_job(user, job_id) -> ImportJob:
    """Return the job with ``job_id`` if ``user`` may see it, else raise ``ImportJob.DoesNotExist``."""
    try:
        job_id = int(job_id)
    except (TypeError, ValueError):
        raise ImportJob.DoesNotExist from None
    return visible_jobs(user).get(pk=job_id)


def exportable_customers(user) -> QuerySet[Customer]:
    """Return the customers ``user`` may export."""
    if not can_export(user):
        return Customer.objects.none()
    return Customer.objects.all()
