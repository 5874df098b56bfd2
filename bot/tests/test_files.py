"""Files and the bot's chat: exports sent by the bot (sendDocument, from a background task),
and .apkg or CSV files sent to the bot imported through the Mini App."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from bot import files
from bot.models import ReceivedFile
from bot.tests.conftest import post_update
from bot.tests.fake_telegram import message_update, sender
from cards import exporting
from cards.models import Deck, ExportJob, ImportJob, Phrase
from conftest import htmx, make_card

pytestmark = pytest.mark.django_db

CSV = b"front,back\nhola,hello\ngracias,thank you\n"


@pytest.fixture
def deck(alice):
    make_card(deck := Deck.objects.create(owner=alice, name="Spanish <1>"), "hola", "hello")
    return deck


@pytest.fixture
def reachable(alice):
    User.objects.filter(pk=alice.pk).update(bot_can_write=True)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Runs what a request left for after its commit (the tasks it enqueues), in the test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# Exports sent by the bot


@pytest.mark.parametrize("kind", ["csv", "apkg"])
def test_the_bot_sends_a_decks_export_to_the_learners_chat(
    as_alice, telegram, alice, deck, reachable, on_commit, kind
):
    with on_commit():
        response = as_alice.post(f"/decks/{deck.pk}/export/send/", {"format": kind}, **htmx())

    assert response.status_code == 200
    assert b"Sent: the file arrives in your chat with the bot in a moment." in response.content
    [sent] = telegram.calls("sendDocument")
    assert sent["chat_id"] == str(alice.telegram_id)
    document = sent["document"]
    assert document.filename == f"Spanish_1.{kind}"
    if kind == "csv":
        assert document.content == exporting.deck_file(deck, "csv")
    else:
        assert zipfile.ZipFile(io.BytesIO(document.content)).namelist() == [
            "collection.anki2",
            "media",
        ]


def test_the_bot_sends_the_finished_all_my_data_zip(
    as_alice, telegram, alice, reachable, on_commit
):
    job = ExportJob.objects.create(
        owner=alice, status=ExportJob.Status.DONE, archive=b"PK zip", finished=timezone.now()
    )

    with on_commit():
        as_alice.post(f"/settings/export/{job.pk}/send/", **htmx())

    [sent] = telegram.calls("sendDocument")
    assert sent["document"].filename == "phraseweaver-export.zip"
    assert sent["document"].content == b"PK zip"


def test_another_learners_deck_or_export_is_not_sent(as_alice, telegram, bob, reachable, on_commit):
    theirs = Deck.objects.create(owner=bob, name="Bob's")
    job = ExportJob.objects.create(owner=bob, status=ExportJob.Status.DONE, archive=b"PK")

    with on_commit():
        deck_export = as_alice.post(f"/decks/{theirs.pk}/export/send/", {"format": "csv"})
        everything = as_alice.post(f"/settings/export/{job.pk}/send/")

    assert deck_export.status_code == everything.status_code == 404
    assert telegram.requests == []


def test_an_export_still_being_prepared_is_not_sent(as_alice, telegram, alice, reachable):
    job = ExportJob.objects.create(owner=alice, status=ExportJob.Status.RUNNING)

    assert as_alice.post(f"/settings/export/{job.pk}/send/").status_code == 404


def test_an_unknown_format_is_a_clear_error(as_alice, telegram, deck, reachable, on_commit):
    with on_commit():
        response = as_alice.post(f"/decks/{deck.pk}/export/send/", {"format": "exe"})

    assert response.status_code == 400
    assert response.content == b"Unknown export format."
    assert telegram.requests == []


def test_a_learner_the_bot_may_not_write_to_is_told_to_start_it(
    as_alice, telegram, deck, on_commit
):
    with on_commit():
        response = as_alice.post(f"/decks/{deck.pk}/export/send/", {"format": "csv"}, **htmx())

    assert b"The bot may not write to you yet" in response.content
    assert telegram.requests == []


def test_a_file_over_the_fifty_megabytes_a_bot_may_send_is_explained_instead(
    as_alice, telegram, deck, reachable, on_commit, monkeypatch
):
    monkeypatch.setattr(files, "SEND_LIMIT", 10)

    with on_commit():
        as_alice.post(f"/decks/{deck.pk}/export/send/", {"format": "csv"})

    assert telegram.calls("sendDocument") == []
    [said] = telegram.calls("sendMessage")
    assert said["text"].startswith("This file is larger than the 10\xa0bytes a bot may send")


def test_a_learner_who_blocked_the_bot_is_marked_so(
    as_alice, telegram, alice, deck, reachable, on_commit
):
    telegram.fail(403, method="sendDocument")

    with on_commit():
        as_alice.post(f"/decks/{deck.pk}/export/send/", {"format": "csv"})

    alice.refresh_from_db()
    assert alice.bot_blocked


def test_the_export_screen_offers_sending_beside_each_download(as_alice, deck):
    response = as_alice.get(f"/decks/{deck.pk}/export/", **htmx())

    html = response.content.decode()
    assert 'data-tg-send="send-csv"' in html and 'id="send-csv" hidden' in html
    assert 'data-tg-send="send-apkg"' in html and 'id="send-apkg" hidden' in html


# Files sent to the bot


def document_update(update_id, user, *, file_id="F1", name="words.csv", size=None):
    update = message_update(update_id, None, sender(user))
    document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name}
    if size is not None:
        document["file_size"] = size
    update["message"]["document"] = document
    return update


def send(client, update):
    post_update(client, update)


def test_a_csv_sent_to_the_bot_is_fetched_read_and_offered_for_import_in_the_app(
    client, telegram, alice, on_commit
):
    telegram.add_file("F1", CSV)

    with on_commit():
        send(client, document_update(1, alice, size=len(CSV)))

    assert telegram.methods == ["getFile", "sendMessage"]
    received = ReceivedFile.objects.get()
    assert (received.owner, received.name, bytes(received.content)) == (alice, "words.csv", CSV)
    [said] = telegram.calls("sendMessage")
    assert said["text"] == "“words.csv”: 2 rows. Choose the deck to import it into in the app."
    assert said["reply_markup"]["inline_keyboard"] == [
        [
            {
                "text": "Import…",
                "web_app": {"url": f"https://pw.example.com/import/from-chat/{received.pk}/"},
            }
        ]
    ]


def test_a_file_over_the_limit_is_refused_before_it_is_fetched(client, telegram, alice, on_commit):
    with on_commit():
        send(client, document_update(1, alice, size=20 * 1024 * 1024 + 1))

    assert telegram.methods == ["sendMessage"]
    assert telegram.calls("sendMessage")[0]["text"] == (
        "The file is larger than 9.5\xa0MB: I cannot import it."
    )


def test_a_file_telegram_will_not_serve_is_refused_too(
    client, telegram, alice, settings, on_commit
):
    settings.IMPORT_MAX_BYTES = 30 * 1024 * 1024
    telegram.add_file("F1", b"x" * (20 * 1024 * 1024 + 1))  # getFile gives it no path

    with on_commit():
        send(client, document_update(1, alice))  # and the update did not say its size

    assert telegram.methods == ["getFile", "sendMessage"]
    assert "The file is larger than 20.0" in telegram.calls("sendMessage")[0]["text"]
    assert not ReceivedFile.objects.exists()


def test_a_file_we_cannot_read_says_why(client, telegram, alice, on_commit):
    telegram.add_file("F1", b"PK\x03\x04 not really a zip")

    with on_commit():
        send(client, document_update(1, alice, name="deck.apkg"))

    assert telegram.calls("sendMessage")[0]["text"].startswith("I cannot import this file: ")
    assert not ReceivedFile.objects.exists()


@pytest.mark.parametrize("name", ["photo.jpg", "notes.docx", "file"])
def test_a_file_of_another_kind_is_not_fetched(client, telegram, alice, on_commit, name):
    with on_commit():
        send(client, document_update(1, alice, name=name))

    assert telegram.methods == ["sendMessage"]
    assert telegram.calls("sendMessage")[0]["text"] == (
        "Send me an Anki package (.apkg) or a CSV file to import it."
    )


def test_a_redelivered_file_is_fetched_once(client, telegram, alice, on_commit):
    telegram.add_file("F1", CSV)

    with on_commit():
        send(client, document_update(1, alice))
        send(client, document_update(1, alice))

    assert telegram.methods == ["getFile", "sendMessage"]


@pytest.fixture
def received(alice):
    return ReceivedFile.objects.create(owner=alice, name="words.csv", content=CSV)


def test_the_apps_screen_shows_what_the_file_holds_and_the_decks_to_choose(
    as_alice, received, deck, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = as_alice.get(f"/import/from-chat/{received.pk}/", **htmx())

    html = response.content.decode()
    assert "Import “words.csv”" in html
    assert "hola → hello" in html and "gracias → thank you" in html
    assert "A new deck: words" in html and "Spanish &lt;1&gt;" in html


def test_importing_into_a_chosen_deck_runs_the_apps_import(as_alice, alice, received, deck):
    response = as_alice.post(f"/import/from-chat/{received.pk}/", {"deck": deck.pk})

    assert response.status_code == 302 and response.url == f"/decks/{deck.pk}/import/"
    job = ImportJob.objects.get()
    assert (job.deck, job.status, job.upload_name) == (deck, ImportJob.Status.DONE, "words.csv")
    assert sorted(deck.phrases.values_list("front", flat=True)) == ["gracias", "hola"]
    assert not ReceivedFile.objects.exists()


def test_importing_into_a_new_deck_names_it_after_the_file(as_alice, alice, received):
    as_alice.post(f"/import/from-chat/{received.pk}/", {"deck": ""})

    deck = Deck.objects.get(owner=alice)
    assert deck.name == "words"
    assert Phrase.objects.filter(deck=deck).count() == 2


def test_another_learners_file_or_deck_is_refused(as_alice, alice, bob, received, make_user):
    theirs = ReceivedFile.objects.create(owner=bob, name="b.csv", content=CSV)
    their_deck = Deck.objects.create(owner=bob, name="Bob's")

    assert as_alice.get(f"/import/from-chat/{theirs.pk}/", **htmx()).status_code == 404
    response = as_alice.post(f"/import/from-chat/{received.pk}/", {"deck": their_deck.pk}, **htmx())

    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not ImportJob.objects.exists() and not their_deck.phrases.exists()


def test_files_never_imported_are_forgotten_after_a_day(received, alice):
    old = ReceivedFile.objects.create(owner=alice, name="old.csv", content=CSV)
    ReceivedFile.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=2))

    assert files.sweep_received_files_task.call() == {"forgotten": 1}
    assert list(ReceivedFile.objects.all()) == [received]
