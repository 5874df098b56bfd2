"""ProcessedUpdate moved from accounts to bot: the table, and the updates it remembers, stay."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from bot.models import ProcessedUpdate

BEFORE = [("accounts", "0002_reminders"), ("bot", None)]
AFTER = [("accounts", "0003_processedupdate_to_bot"), ("bot", "0001_initial")]


@pytest.fixture
def latest_schema_after():
    """The tests after this one need the later migrations (accounts 0004…) applied again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_move_to_bot_keeps_the_table_and_its_rows(latest_schema_after):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_processedupdate (update_id, processed_at) VALUES (%s, %s)",
            [4242, "2026-11-30 12:00:00+00:00"],
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    assert ProcessedUpdate._meta.db_table == "accounts_processedupdate"
    assert list(ProcessedUpdate.objects.values_list("update_id", flat=True)) == [4242]
    # Back to the latest schema (later migrations were unapplied on the way to BEFORE), for
    # the tests that run after this one on the same database.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
