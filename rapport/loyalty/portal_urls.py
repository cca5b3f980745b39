"""The customer's loyalty pages in the portal (``/portal/loyalty/``)."""

from django.urls import path

from rapport.loyalty.views import portal

app_name = "loyalty_portal"

urlpatterns = [
    path("", portal.overview, name="overview"),
    path("join/", portal.join, name="join"),
    path("history/", portal.history, name="history"),
    path("rewards/", portal.rewards, name="rewards"),
    path("rewards/<int:reward_id>/redeem/", portal.redeem, name="redeem"),
    path("vouchers/", portal.vouchers, name="vouchers"),
    path("vouchers/<int:voucher_id>/", portal.voucher, name="voucher"),
]
