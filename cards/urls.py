from django.urls import path

from cards.views import home, review

urlpatterns = [
    path("", home.home, name="home"),
    path("review/", review.review, name="review"),
    path("decks/<int:deck_id>/review/", review.review, name="deck_review"),
    path("review/cards/<int:card_id>/answer/", review.answer, name="review_answer"),
    path("review/cards/<int:card_id>/grade/", review.grade, name="review_grade"),
    path("review/undo/", review.undo, name="review_undo"),
]
