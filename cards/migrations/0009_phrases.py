"""Phrases: what is learned, apart from its cards (how it is practised). This step adds the
phrase table and the cards' new columns; 0010 moves every card's text onto a phrase of its
own; 0011 drops the text from the cards."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import cards.models


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0008_export_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Phrase",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("front", models.CharField(max_length=1000, verbose_name="front")),
                ("back", models.CharField(max_length=1000, verbose_name="back")),
                (
                    "example",
                    models.TextField(blank=True, max_length=2000, verbose_name="example"),
                ),
                ("notes", models.TextField(blank=True, max_length=2000, verbose_name="notes")),
                ("tags", models.CharField(blank=True, max_length=500, verbose_name="tags")),
                ("search_text", models.TextField(default="", editable=False)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("updated", models.DateTimeField(auto_now=True)),
                (
                    "deck",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="phrases",
                        to="cards.deck",
                    ),
                ),
                (
                    "import_job",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="cards.importjob",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "indexes": [models.Index(fields=["deck", "id"], name="phrase_deck_id")],
            },
        ),
        migrations.AddField(
            model_name="card",
            name="phrase",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="cards",
                to="cards.phrase",
            ),
        ),
        migrations.AddField(
            model_name="card",
            name="direction",
            field=models.CharField(
                choices=[
                    ("recognition", "Recognition: phrase → meaning"),
                    ("production", "Production: meaning → phrase"),
                    ("listening", "Listening: sound → phrase"),
                ],
                default="recognition",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="card",
            name="buried_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="deck",
            name="directions",
            field=models.JSONField(
                default=cards.models.default_directions, verbose_name="directions"
            ),
        ),
    ]
