from django.urls import path

from cards.views import (
    decks,
    exporting,
    home,
    importing,
    parameters,
    phrases,
    review,
    sharing,
    stats,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("decks/new/", decks.deck_new, name="deck_new"),
    path("decks/<int:deck_id>/", decks.deck_detail, name="deck"),
    path("decks/<int:deck_id>/edit/", decks.deck_edit, name="deck_edit"),
    path("decks/<int:deck_id>/delete/", decks.deck_delete, name="deck_delete"),
    path("decks/<int:deck_id>/phrases/add/", phrases.phrase_add, name="phrase_add"),
    path("phrases/<int:phrase_id>/", phrases.phrase_row, name="phrase"),
    path("phrases/<int:phrase_id>/edit/", phrases.phrase_edit, name="phrase_edit"),
    path("phrases/<int:phrase_id>/delete/", phrases.phrase_delete, name="phrase_delete"),
    path(
        "phrases/<int:phrase_id>/directions/add/",
        phrases.phrase_direction_add,
        name="phrase_direction_add",
    ),
    path("cards/<int:card_id>/suspend/", phrases.card_suspend, name="card_suspend"),
    path("cards/<int:card_id>/delete/", phrases.card_delete, name="card_delete"),
    path("cards/<int:card_id>/reset/", phrases.card_reset, name="card_reset"),
    path("decks/<int:deck_id>/import/", importing.import_page_or_run, name="deck_import"),
    path(
        "decks/<int:deck_id>/import/jobs/<int:job_id>/",
        importing.import_job,
        name="deck_import_job",
    ),
    path(
        "decks/<int:deck_id>/import/preview/", importing.import_preview, name="deck_import_preview"
    ),
    path("decks/<int:deck_id>/export/", exporting.deck_export, name="deck_export"),
    path("settings/export/", exporting.everything_export, name="everything_export"),
    path(
        "settings/export/<int:export_id>/",
        exporting.everything_export_job,
        name="everything_export_job",
    ),
    path("settings/parameters/", parameters.parameters_box, name="parameters"),
    path(
        "settings/parameters/defaults/",
        parameters.parameters_defaults,
        name="parameters_defaults",
    ),
    path("stats/", stats.stats, name="stats"),
    path("decks/<int:deck_id>/stats/", stats.deck_stats, name="deck_stats"),
    path("decks/<int:deck_id>/share/", sharing.share, name="deck_share"),
    path("decks/<int:deck_id>/share/revoke/", sharing.share_revoke, name="deck_share_revoke"),
    path("shared/<slug:token>/", sharing.shared_deck, name="shared_deck"),
    path("shared/phrase/<slug:param>/", sharing.shared_phrase, name="shared_phrase"),
    path("review/", review.review, name="review"),
    path("decks/<int:deck_id>/review/", review.review, name="deck_review"),
    path("review/cards/<int:card_id>/answer/", review.answer, name="review_answer"),
    path("review/cards/<int:card_id>/grade/", review.grade, name="review_grade"),
    path("review/undo/", review.undo, name="review_undo"),
    path("decks/<int:deck_id>/study-more/", review.study_more, name="deck_study_more"),
]
