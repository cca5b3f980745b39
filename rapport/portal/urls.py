from django.urls import path

from rapport.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/sent/", views.link_sent, name="link_sent"),
    path("login/link/<str:token>/", views.magic_link, name="magic_link"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.set_password, name="set_password"),
    path("new/", views.new_request, name="new_request"),
    path("conversations/<int:conversation_id>/", views.conversation_detail, name="conversation"),
    path("conversations/<int:conversation_id>/reply/", views.reply, name="reply"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("contact/", views.contact, name="contact"),
    path("contact/thanks/", views.contact_thanks, name="contact_thanks"),
]
