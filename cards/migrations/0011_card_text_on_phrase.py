"""Every card has its phrase now (0010): the text lives there only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cards", "0010_cards_to_phrases")]

    operations = [
        # A default for the reverse only: putting the columns back fills them with it before
        # 0010's reverse copies the phrases' text in.
        migrations.AlterField(
            model_name="card",
            name="front",
            field=models.CharField(default="", max_length=1000, verbose_name="front"),
        ),
        migrations.AlterField(
            model_name="card",
            name="back",
            field=models.CharField(default="", max_length=1000, verbose_name="back"),
        ),
        migrations.RemoveField(model_name="card", name="front"),
        migrations.RemoveField(model_name="card", name="back"),
        migrations.RemoveField(model_name="card", name="example"),
        migrations.RemoveField(model_name="card", name="notes"),
        migrations.RemoveField(model_name="card", name="tags"),
        migrations.RemoveField(model_name="card", name="search_text"),
        migrations.RemoveField(model_name="card", name="import_job"),
        migrations.AlterField(
            model_name="card",
            name="phrase",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="cards",
                to="cards.phrase",
            ),
        ),
        migrations.AddConstraint(
            model_name="card",
            constraint=models.UniqueConstraint(
                fields=("phrase", "direction"), name="card_one_per_direction"
            ),
        ),
    ]
