from django.urls import path

from cards.views import exporting, home, importing, stats

urlpatterns = [
    path("", home.home, name="home"),
    path("decks/<int:deck_id>/import/", importing.import_page_or_run, name="deck_import"),
    path(
        "decks/<int:deck_id>/import/preview/", importing.import_preview, name="deck_import_preview"
    ),
    path("decks/<int:deck_id>/export/", exporting.deck_export, name="deck_export"),
    path("settings/export/", exporting.everything_export, name="everything_export"),
    path("stats/", stats.stats, name="stats"),
    path("decks/<int:deck_id>/stats/", stats.deck_stats, name="deck_stats"),
]
