from django.urls import path

from rapport.metrics import views

app_name = "metrics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("me/", views.mine, name="mine"),
    path("drill/", views.drill, name="drill"),
]
