from django.contrib import admin
from django.urls import include, path

from phraseweaver.health import health

urlpatterns = [
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("cards.urls")),
    path("", include("bot.urls")),
]

handler500 = "phraseweaver.errors.server_error"
