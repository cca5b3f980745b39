"""The staff pages for customers and organisations, split by concept."""

from rapport.accounts.access import staff_required
from rapport.customers.views.customers import (
    customer_create,
    customer_edit,
    customer_list,
    organization_suggest,
)
from rapport.customers.views.merge import duplicate_list, merge_review
from rapport.customers.views.organizations import (
    organization_create,
    organization_detail,
    organization_edit,
    organization_list,
)
from rapport.customers.views.profile import (
    activity_add,
    consent_record,
    contact_add,
    contact_make_primary,
    contact_remove,
    customer_detail,
    customer_timeline,
    note_add,
)

__all__ = [
    "activity_add",
    "consent_record",
    "contact_add",
    "contact_make_primary",
    "contact_remove",
    "customer_create",
    "customer_detail",
    "customer_edit",
    "customer_list",
    "customer_timeline",
    "duplicate_list",
    "merge_review",
    "note_add",
    "organization_create",
    "organization_detail",
    "organization_edit",
    "organization_list",
    "organization_suggest",
    "staff_required",
]
