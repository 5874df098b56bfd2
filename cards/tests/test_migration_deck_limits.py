"""Decks made before each deck had its own limits take their learner's limits."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cards", "0005_deck_shared_token"), ("accounts", "0005_learn_ahead_and_daily_ceiling")]
AFTER = [("cards", "0006_deck_daily_limits")]


@pytest.mark.django_db(transaction=True)
def test_existing_decks_take_their_learners_daily_limits():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    learner = old.get_model("accounts", "User").objects.create(
        username="tg1", telegram_id=1, new_cards_per_day=7, reviews_per_day=70
    )
    old.get_model("cards", "Deck").objects.create(owner=learner, name="Old")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    deck = new.get_model("cards", "Deck").objects.get(name="Old")

    assert (deck.new_cards_per_day, deck.reviews_per_day) == (7, 70)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
