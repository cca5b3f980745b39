"""The programme's configuration for administrators: rules, tiers, rewards.

The ledger, members' balances and vouchers are read-only here: points move only through the
actions (``rapport.loyalty.actions``), which keep the balance equal to the ledger.
"""

from django.contrib import admin

from rapport.loyalty.models import (
    EarnRule,
    LedgerEntry,
    Member,
    Programme,
    Reward,
    Tier,
    TierChange,
    Voucher,
)


class EarnRuleInline(admin.TabularInline):
    model = EarnRule
    extra = 0


class TierInline(admin.TabularInline):
    model = Tier
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "currency",
        "points_per_unit",
        "point_value",
        "expiry_months",
        "is_active",
    )
    inlines = [TierInline, EarnRuleInline]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ("name", "programme", "kind", "cost", "value", "stock", "min_tier", "is_active")
    list_filter = ("programme", "kind", "is_active")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ("customer", "programme", "tier", "balance", "status", "joined_at")
    list_filter = ("programme", "tier", "status")
    raw_id_fields = ("customer",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "member", "kind", "points", "reason", "source", "external_ref")
    list_filter = ("kind", "source")
    search_fields = ("external_ref", "reason")
    raw_id_fields = ("member", "order", "actor")


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ("code", "member", "reward", "value", "currency", "status", "valid_until")
    list_filter = ("status",)
    search_fields = ("code",)


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "member", "from_tier", "to_tier", "spend", "points")
    list_filter = ("to_tier",)
    raw_id_fields = ("member",)
