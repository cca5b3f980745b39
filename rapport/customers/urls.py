from django.urls import path

from rapport.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/timeline/", views.customer_timeline, name="timeline"),
    path("<int:customer_id>/notes/", views.note_add, name="note_add"),
    path("<int:customer_id>/activities/", views.activity_add, name="activity_add"),
    path("<int:customer_id>/consent/", views.consent_record, name="consent_record"),
    path("<int:customer_id>/contacts/", views.contact_add, name="contact_add"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/primary/",
        views.contact_make_primary,
        name="contact_make_primary",
    ),
    path("<int:customer_id>/merge/<int:other_id>/", views.merge_review, name="merge"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/suggest/", views.organization_suggest, name="organization_suggest"),
    path(
        "organizations/<int:organization_id>/",
        views.organization_detail,
        name="organization_detail",
    ),
    path(
        "organizations/<int:organization_id>/edit/",
        views.organization_edit,
        name="organization_edit",
    ),
]
