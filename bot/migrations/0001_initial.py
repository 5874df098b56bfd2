from django.db import migrations, models


class Migration(migrations.Migration):
    """ProcessedUpdate, moved here from accounts: the table accounts.0002 made is adopted as it
    is (same name, same rows), so no database operation runs."""

    initial = True

    dependencies = [
        ("accounts", "0002_reminders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProcessedUpdate",
                    fields=[
                        ("update_id", models.BigIntegerField(primary_key=True, serialize=False)),
                        ("processed_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={"db_table": "accounts_processedupdate"},
                ),
            ],
            database_operations=[],
        ),
    ]
