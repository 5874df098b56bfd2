from django.contrib import admin
from django.urls import include, path

from phraseweaver.health import health
from phraseweaver.media import media_file

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("media/", media_file, name="media_file"),
    path("", include("accounts.urls")),
    path("", include("cards.urls")),
    path("", include("bot.urls")),
]

handler500 = "phraseweaver.errors.server_error"
