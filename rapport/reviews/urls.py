from django.urls import path

from rapport.reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("import/", views.import_reviews, name="import"),
]
