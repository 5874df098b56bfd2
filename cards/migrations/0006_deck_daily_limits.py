import django.core.validators
from django.db import migrations, models


def copy_learner_limits(apps, schema_editor):
    """Existing decks take their learner's limits, which until now applied to every deck."""
    Deck = apps.get_model("cards", "Deck")
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(decks__isnull=False).distinct():
        Deck.objects.filter(owner=user).update(
            new_cards_per_day=user.new_cards_per_day, reviews_per_day=user.reviews_per_day
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_learn_ahead_and_daily_ceiling"),
        ("cards", "0005_deck_shared_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="deck",
            name="new_cards_per_day",
            field=models.PositiveIntegerField(default=20, verbose_name="new cards per day"),
        ),
        migrations.AddField(
            model_name="deck",
            name="reviews_per_day",
            field=models.PositiveIntegerField(default=200, verbose_name="reviews per day"),
        ),
        migrations.RunPython(copy_learner_limits, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="deck",
            name="new_cards_per_day",
            field=models.PositiveIntegerField(
                default=None,
                validators=[django.core.validators.MaxValueValidator(9999)],
                verbose_name="new cards per day",
            ),
        ),
        migrations.AlterField(
            model_name="deck",
            name="reviews_per_day",
            field=models.PositiveIntegerField(
                default=None,
                validators=[django.core.validators.MaxValueValidator(99999)],
                verbose_name="reviews per day",
            ),
        ),
        migrations.AddField(
            model_name="deck",
            name="extra_new",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="deck",
            name="extra_new_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
    ]
