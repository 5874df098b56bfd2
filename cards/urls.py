from django.urls import path

from cards.views import home, sharing

urlpatterns = [
    path("", home.home, name="home"),
    path("decks/<int:deck_id>/share/", sharing.share, name="deck_share"),
    path("decks/<int:deck_id>/share/revoke/", sharing.share_revoke, name="deck_share_revoke"),
    path("shared/<slug:token>/", sharing.shared_deck, name="shared_deck"),
]
