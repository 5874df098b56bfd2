from django.contrib import admin
from django.urls import include, path

from phraseweaver.benchmark import floor
from phraseweaver.health import health

urlpatterns = [
    path("health", health, name="health"),
    path("bench/floor/", floor, name="bench_floor"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("cards.urls")),
    path("", include("bot.urls")),
]

handler500 = "phraseweaver.errors.server_error"
