from django.db import migrations


class Migration(migrations.Migration):
    """ProcessedUpdate moved to the bot app (bot.0001_initial): only Django's picture of the
    models changes here; the table, its rows and its index stay as they are."""

    dependencies = [
        ("accounts", "0002_reminders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ProcessedUpdate")],
            database_operations=[],
        ),
    ]
