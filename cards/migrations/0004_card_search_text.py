from django.db import migrations, models

from cards import search

BATCH_SIZE = 1000


def fill_search_text(apps, schema_editor):
    """Existing cards get the search column that Card.save() fills from now on."""
    Card = apps.get_model("cards", "Card")
    batch = []
    for card in Card.objects.only(*search.SEARCHED_FIELDS).iterator(chunk_size=BATCH_SIZE):
        card.search_text = search.search_text(
            *(getattr(card, name) for name in search.SEARCHED_FIELDS)
        )
        batch.append(card)
        if len(batch) == BATCH_SIZE:
            Card.objects.bulk_update(batch, ["search_text"])
            batch = []
    Card.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0003_study_queue_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="card",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
    ]
