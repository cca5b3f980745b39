from django.urls import path

from rapport.feedback import views

app_name = "feedback"

urlpatterns = [
    path("s/<str:token>/", views.answer, name="answer"),
]
