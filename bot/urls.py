from django.urls import path

from bot import views

urlpatterns = [
    path("telegram/webhook/", views.telegram_webhook, name="telegram_webhook"),
    path("drafts/", views.drafts, name="drafts"),
    path("drafts/<int:draft_id>/add/", views.draft_add, name="draft_add"),
    path("drafts/<int:draft_id>/discard/", views.draft_discard, name="draft_discard"),
    path(
        "decks/<int:deck_id>/share/prepared/",
        views.deck_share_prepared,
        name="deck_share_prepared",
    ),
]
