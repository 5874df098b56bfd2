"""Every existing card becomes a phrase with one recognition card: the card keeps its row (its
id, its schedule and its review logs untouched) and its text moves onto a new phrase with the
card's id. Decks made before directions keep recognition only.

In batches (bounded memory whatever the number of cards). Reversible: the text goes back onto
each card from its phrase (a phrase's cards of other directions become cards of their own
with the same text).
"""

from django.core.management.color import no_style
from django.db import migrations
from django.db.models import F, OuterRef, Subquery

BATCH = 1000
TEXT = ("front", "back", "example", "notes", "tags", "search_text")


def cards_to_phrases(apps, schema_editor):
    Card = apps.get_model("cards", "Card")
    Deck = apps.get_model("cards", "Deck")
    Phrase = apps.get_model("cards", "Phrase")
    db = schema_editor.connection.alias
    Deck.objects.using(db).update(directions=["recognition"])
    rows = (
        Card.objects.using(db)
        .order_by("pk")
        .values("pk", "owner_id", "deck_id", "import_job_id", *TEXT)
    )
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        # The historical model's bulk_create does not fill search_text: the card's is copied.
        batch.append(Phrase(id=row.pop("pk"), **row))
        if len(batch) == BATCH:
            Phrase.objects.using(db).bulk_create(batch)
            batch = []
    Phrase.objects.using(db).bulk_create(batch)
    # auto_now_add stamped the phrases with today: they take their cards' dates.
    same = Card.objects.using(db).filter(pk=OuterRef("pk"))
    Phrase.objects.using(db).update(
        created=Subquery(same.values("created")[:1]), updated=Subquery(same.values("updated")[:1])
    )
    Card.objects.using(db).update(phrase_id=F("pk"))
    # The phrases were inserted with explicit ids: the next phrase must not take one of them.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Phrase]):
            cursor.execute(sql)


def phrases_to_cards(apps, schema_editor):
    Card = apps.get_model("cards", "Card")
    Phrase = apps.get_model("cards", "Phrase")
    db = schema_editor.connection.alias
    phrase = Phrase.objects.using(db).filter(pk=OuterRef("phrase_id"))
    fields = (*TEXT, "import_job_id")
    Card.objects.using(db).update(**{name: Subquery(phrase.values(name)[:1]) for name in fields})


class Migration(migrations.Migration):
    dependencies = [("cards", "0009_phrases")]

    operations = [migrations.RunPython(cards_to_phrases, phrases_to_cards)]
