from django.urls import path

from rapport.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("export/customers/", views.export_customers, name="export_customers"),
    path("<int:job_id>/", views.job_detail, name="detail"),
    path("<int:job_id>/mapping/", views.mapping, name="mapping"),
    path("<int:job_id>/progress/", views.job_progress, name="progress"),
    path("<int:job_id>/run/", views.run, name="run"),
    path("<int:job_id>/issues.csv", views.issues_csv, name="issues_csv"),
]
