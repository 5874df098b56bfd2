from django.urls import path

from cards.views import cards, decks, home, review

urlpatterns = [
    path("", home.home, name="home"),
    path("decks/new/", decks.deck_new, name="deck_new"),
    path("decks/<int:deck_id>/", decks.deck_detail, name="deck"),
    path("decks/<int:deck_id>/edit/", decks.deck_edit, name="deck_edit"),
    path("decks/<int:deck_id>/delete/", decks.deck_delete, name="deck_delete"),
    path("decks/<int:deck_id>/cards/add/", cards.card_add, name="card_add"),
    path("cards/<int:card_id>/", cards.card_row, name="card"),
    path("cards/<int:card_id>/edit/", cards.card_edit, name="card_edit"),
    path("cards/<int:card_id>/suspend/", cards.card_suspend, name="card_suspend"),
    path("cards/<int:card_id>/delete/", cards.card_delete, name="card_delete"),
    path("review/", review.review, name="review"),
    path("decks/<int:deck_id>/review/", review.review, name="deck_review"),
    path("review/cards/<int:card_id>/answer/", review.answer, name="review_answer"),
    path("review/cards/<int:card_id>/grade/", review.grade, name="review_grade"),
    path("review/undo/", review.undo, name="review_undo"),
]
