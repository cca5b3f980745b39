"""URLs of the public help centre under /help/.

``/help/<language>/<slug>/`` is an article, so the other pages of a language use paths an
article slug cannot take: ``search/`` is reserved, categories live one level deeper.
"""

from django.urls import path

from rapport.kb.views import helpcentre

app_name = "help"

urlpatterns = [
    path("", helpcentre.start, name="start"),
    path("suggestions/", helpcentre.suggestions, name="suggestions"),
    path("deflected/", helpcentre.deflected, name="deflected"),
    path("<str:language>/", helpcentre.home, name="home"),
    path("<str:language>/search/", helpcentre.search, name="search"),
    path("<str:language>/category/<str:slug>/", helpcentre.category, name="category"),
    path("<str:language>/<str:slug>/", helpcentre.article, name="article"),
    path("<str:language>/<str:slug>/feedback/", helpcentre.feedback, name="feedback"),
]
