from django.urls import path

from cards.views import exporting, home, importing, sharing, stats

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
    path("decks/<int:deck_id>/share/", sharing.share, name="deck_share"),
    path("decks/<int:deck_id>/share/revoke/", sharing.share_revoke, name="deck_share_revoke"),
    path("shared/<slug:token>/", sharing.shared_deck, name="shared_deck"),
]
