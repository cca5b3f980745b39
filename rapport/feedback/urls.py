from django.urls import path

from rapport.feedback import views

app_name = "feedback"

urlpatterns = [
    path("s/<str:token>/", views.answer, name="answer"),
    path("portal/<int:invitation_id>/", views.portal_answer, name="portal_answer"),
]
