"""Combining memberships when two customers are merged."""

from django.db.models import F

from rapport.customers.models import Customer
from rapport.loyalty.models import (
    LedgerEntry,
    Member,
    TierChange,
    Voucher,
)


def merge_memberships(*, merged: Customer, survivor: Customer) -> None:
    """Move ``merged``'s memberships to ``survivor`` before the merge deletes ``merged``.

    Where both are members of a programme, the merged member's entries and vouchers move to
    the survivor's membership and its balance is added; the entries themselves are unchanged.
    """
    for member in Member.objects.filter(customer=merged).select_for_update():
        kept = Member.objects.filter(programme=member.programme, customer=survivor).first()
        if kept is None:
            Member.objects.filter(pk=member.pk).update(customer=survivor)
            continue
        LedgerEntry.objects.filter(member=member).update(member=kept)
        Voucher.objects.filter(member=member).update(member=kept)
        TierChange.objects.filter(member=member).update(member=kept)
        Member.objects.filter(pk=kept.pk).update(balance=F("balance") + member.balance)
        member.delete()
