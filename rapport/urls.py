from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from rapport.api import api
from rapport.ops.views import health

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False)),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("rapport.accounts.urls")),
    path("customers/", include("rapport.customers.urls")),
    path("commerce/", include("rapport.commerce.urls")),
    path("imports/", include("rapport.imports.urls")),
    path("helpdesk/", include("rapport.helpdesk.urls")),
    path("sla/", include("rapport.sla.urls")),
    path("mail/", include("rapport.mail.urls")),
    path("chat/", include("rapport.chat.urls")),
    path("portal/loyalty/", include("rapport.loyalty.portal_urls")),
    path("portal/", include("rapport.portal.urls")),
    path("social/", include("rapport.social.urls")),
    path("webhooks/", include("rapport.webhooks.urls")),
    path("kb/reports/", include("rapport.kb.report_urls")),
    path("kb/", include("rapport.kb.urls")),
    path("help/", include("rapport.kb.help_urls")),
    path("assistant/", include("rapport.assistant.urls")),
    path("feedback/", include("rapport.feedback.urls")),
    path("reviews/", include("rapport.reviews.urls")),
    path("metrics/", include("rapport.metrics.urls")),
    path("improvement/", include("rapport.improvement.urls")),
    path("loyalty/", include("rapport.loyalty.urls")),
    path("analytics/", include("rapport.analytics.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
]
