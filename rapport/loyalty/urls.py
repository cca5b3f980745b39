"""Staff pages of the loyalty programme (``/loyalty/``)."""

from django.urls import path

from rapport.loyalty.views import staff

app_name = "loyalty"

urlpatterns: list = [
    path("members/<int:member_id>/", staff.member_detail, name="member"),
    path("members/<int:member_id>/adjust/", staff.adjust, name="adjust"),
    path("reports/", staff.report, name="reports"),
]
