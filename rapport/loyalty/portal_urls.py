"""The customer's loyalty pages in the portal (``/portal/loyalty/``)."""

from django.urls import path  # noqa: F401

app_name = "loyalty_portal"

urlpatterns: list = []
