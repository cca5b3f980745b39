from django.urls import path

from rapport.improvement import views

app_name = "improvement"

urlpatterns = [
    path("", views.initiative_list, name="list"),
    path("new/", views.initiative_new, name="new"),
    path("<int:initiative_id>/", views.initiative_detail, name="detail"),
    path("<int:initiative_id>/row/", views.initiative_row, name="row"),
    path("<int:initiative_id>/edit/", views.initiative_edit, name="edit"),
    path("<int:initiative_id>/close/", views.initiative_close, name="close"),
    path("drivers/", views.drivers_page, name="drivers"),
    path("drivers/records/", views.driver_records_page, name="driver_records"),
]
