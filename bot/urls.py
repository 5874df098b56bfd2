from django.urls import path

from bot import views

urlpatterns = [
    path("telegram/webhook/", views.telegram_webhook, name="telegram_webhook"),
    path("decks/<int:deck_id>/export/send/", views.deck_export_send, name="deck_export_send"),
    path(
        "settings/export/<int:export_id>/send/",
        views.everything_export_send,
        name="everything_export_send",
    ),
    path("import/from-chat/<int:file_id>/", views.received_file, name="received_file"),
]
