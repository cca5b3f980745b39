"""URLs of staff pages under /kb/."""

from django.urls import path

from rapport.kb.views import staff

app_name = "kb"

urlpatterns = [
    path("", staff.article_list, name="list"),
    path("new/", staff.article_create, name="create"),
    path("preview/", staff.preview, name="preview"),
    path("agent/search/", staff.agent_search, name="agent_search"),
    path(
        "from-conversation/<int:conversation_id>/",
        staff.draft_from_conversation,
        name="from_conversation",
    ),
    path("files/<int:attachment_id>/<str:filename>", staff.attachment_file, name="attachment"),
    path("articles/<slug:slug>/", staff.article_detail, name="article"),
    path("articles/<slug:slug>/settings/", staff.article_settings, name="settings"),
    path("articles/<slug:slug>/translate/", staff.add_translation, name="translate"),
    path("articles/<slug:slug>/attachments/", staff.attachment_upload, name="attach"),
    path("articles/<slug:slug>/delete/", staff.article_delete, name="delete"),
    path("articles/<slug:slug>/<str:language>/edit/", staff.translation_edit, name="edit"),
    path(
        "articles/<slug:slug>/<str:language>/publish/",
        staff.translation_publish,
        name="publish",
    ),
    path(
        "articles/<slug:slug>/<str:language>/history/",
        staff.translation_history,
        name="history",
    ),
    path(
        "articles/<slug:slug>/<str:language>/history/<int:number>/restore/",
        staff.version_restore,
        name="restore",
    ),
]
