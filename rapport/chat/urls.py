from django.urls import path

from rapport.chat import views

app_name = "chat"

urlpatterns = [
    path("widget.js", views.widget_js, name="widget"),
    path("api/config", views.api_config, name="api_config"),
    path("api/start", views.api_start, name="api_start"),
    path("api/offline", views.api_offline, name="api_offline"),
    path("api/survey", views.api_survey, name="api_survey"),
    path("demo/", views.demo, name="demo"),
    path("console/", views.console, name="console"),
    path("console/<int:conversation_id>/", views.conversation_console, name="conversation_console"),
    path("console/<int:conversation_id>/reply/", views.reply, name="reply"),
    path("console/<int:conversation_id>/end/", views.end, name="end"),
]
