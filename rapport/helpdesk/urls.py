from django.urls import path

from rapport.helpdesk import views

app_name = "helpdesk"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk/", views.bulk, name="bulk"),
    path("colleagues/", views.colleagues, name="colleagues"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path("templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("<int:conversation_id>/", views.conversation_detail, name="conversation"),
    path("<int:conversation_id>/presence/", views.presence, name="presence"),
    path("<int:conversation_id>/reply/", views.reply, name="reply"),
    path("<int:conversation_id>/note/", views.note, name="note"),
    path("<int:conversation_id>/call/", views.call, name="call"),
    path("<int:conversation_id>/update/", views.update, name="update"),
    path("<int:conversation_id>/assign-me/", views.assign_me, name="assign_me"),
    path("<int:conversation_id>/solve/", views.solve, name="solve"),
    path("<int:conversation_id>/merge/", views.merge, name="merge"),
    path("<int:conversation_id>/link/", views.link, name="link"),
    path("<int:conversation_id>/split/", views.split, name="split"),
    path(
        "<int:conversation_id>/templates/<int:template_id>/",
        views.template_render,
        name="template_render",
    ),
]
