"""A phrase's picture, its own recording and the server's reading: the edit form, the review
screens (same queries, answers under 4 KB), deletion and the server's voice, on both storages."""

import io
import re
import subprocess
from datetime import timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from cards.media import speech
from cards.models import Deck, Phrase
from conftest import htmx, make_card, make_cards, sign_for


def jpeg(size=(2400, 1200)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def recording(tmp_path) -> SimpleUploadedFile:
    path = tmp_path / "recording.webm"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "sine=frequency=300:duration=1", "-c:a", "libopus", str(path)],
        check=True,
    )  # fmt: skip
    return SimpleUploadedFile("recording.webm", path.read_bytes(), content_type="audio/webm")


def edit(client, phrase, **fields):
    data = {"front": phrase.front, "back": phrase.back, "example": "", "notes": "", "tags": ""}
    return client.post(f"/phrases/{phrase.pk}/edit/", {**data, **fields}, **htmx())


def media_urls(html: str, attribute: str) -> list[str]:
    return [unescape(url) for url in re.findall(rf'{attribute}="([^"]+)"', html)]


def fetched(url: str) -> bytes:
    """What an <img> or <audio> gets for the URL: no initData."""
    if url.startswith("/"):
        response = Client().get(url)
        assert response.status_code == 200, url
        return b"".join(response)
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


@pytest.fixture
def phrase(deck):
    return make_card(deck=deck, front="la casa", back="the house").phrase


def test_the_edit_form_offers_a_picture_a_recording_and_the_side(as_alice, phrase):
    for response in (
        as_alice.get(f"/phrases/{phrase.pk}/edit/", **htmx()),
        as_alice.get(f"/phrases/{phrase.pk}/edit/", **htmx(HTTP_HX_TARGET=f"phrase-{phrase.pk}")),
    ):
        html = response.content.decode()
        assert 'enctype="multipart/form-data"' in html
        assert 'name="image_file"' in html and 'name="audio_file"' in html
        assert 'name="image_side"' in html and "data-recorder" in html


def test_an_uploaded_picture_is_stored_small_and_shown_by_a_signed_url(
    as_alice, phrase, media_storage
):
    response = edit(as_alice, phrase, image_file=jpeg())

    assert response.status_code == 200
    phrase.refresh_from_db()
    assert phrase.image.startswith(f"users/{phrase.owner_id}/images/")
    html = as_alice.get("/review/", **htmx()).content.decode()
    (url,) = media_urls(html, 'class="phrase-image" src')
    assert Image.open(io.BytesIO(fetched(url))).size == (1600, 800)


def test_a_picture_on_the_back_shows_only_with_the_answer(as_alice, phrase, deck):
    edit(as_alice, phrase, image_file=jpeg(), image_side="back")
    card = phrase.cards.get()

    question = as_alice.get("/review/", **htmx()).content.decode()
    answer = as_alice.get(f"/review/cards/{card.pk}/answer/", **htmx()).content.decode()

    assert "phrase-image" not in question
    assert "phrase-image" in answer


def test_a_bad_picture_is_a_field_error_and_the_typed_fields_stay(as_alice, phrase):
    bad = SimpleUploadedFile("photo.jpg", b"not a picture", content_type="image/jpeg")

    response = edit(as_alice, phrase, front="la casita", image_file=bad)

    html = response.content.decode()
    assert response.status_code == 200
    assert "not a JPEG, PNG, WebP or GIF picture" in html
    assert 'value="la casita"' in html
    phrase.refresh_from_db()
    assert (phrase.front, phrase.image) == ("la casa", "")


def test_a_picture_over_the_size_limit_says_so(as_alice, phrase, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 1000

    html = edit(as_alice, phrase, image_file=jpeg()).content.decode()

    assert "The file is larger than 1000" in html


def test_removing_or_replacing_the_picture_deletes_its_file(
    as_alice, phrase, media_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        edit(as_alice, phrase, image_file=jpeg())
    phrase.refresh_from_db()
    first = phrase.image
    with django_capture_on_commit_callbacks(execute=True):
        edit(as_alice, phrase, image_file=jpeg((300, 300)))
    phrase.refresh_from_db()
    second = phrase.image
    with django_capture_on_commit_callbacks(execute=True):
        edit(as_alice, phrase, remove_image="on")
    phrase.refresh_from_db()

    assert phrase.image == ""
    assert not media_storage.exists(first) and not media_storage.exists(second)


def test_a_recording_becomes_the_phrases_own_sound_played_first(
    as_alice, phrase, tmp_path, media_storage
):
    edit(as_alice, phrase, audio_file=recording(tmp_path))

    phrase.refresh_from_db()
    assert phrase.audio.endswith(".mp3")
    html = as_alice.get("/review/", **htmx()).content.decode()
    (url,) = media_urls(html, "data-speak-audio")
    assert fetched(url)[:3] == b"ID3"


def test_a_file_that_is_not_a_sound_is_a_field_error(as_alice, phrase):
    bad = SimpleUploadedFile("voice.webm", b"nothing", content_type="audio/webm")

    html = edit(as_alice, phrase, audio_file=bad).content.decode()

    assert "This is not a sound we can read." in html


def test_adding_a_phrase_has_the_worker_read_it_and_the_review_carries_the_reading(
    as_alice, deck, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_alice.post(f"/decks/{deck.pk}/phrases/add/", {"front": "Buenos días", "back": "Hi"},
                      **htmx())  # fmt: skip
    phrase = Phrase.objects.get(front="Buenos días")

    assert phrase.speech is not None and phrase.speech.voice == "es"
    html = as_alice.get("/review/", **htmx()).content.decode()
    (url,) = media_urls(html, "data-speak-server")
    assert fetched(url)[:3] == b"ID3"


def test_editing_the_front_reads_the_new_one(as_alice, phrase, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        edit(as_alice, phrase, front="la casita")
    phrase.refresh_from_db()

    assert phrase.speech == speech.find_speech("la casita", "es")
    assert phrase.speech is not None


def test_without_a_sound_the_speaker_says_why(as_alice, alice):
    klingon = Deck.objects.create(owner=alice, name="Klingon", front_lang="tlh")
    make_card(deck=klingon, front="nuqneH")

    html = as_alice.get(f"/decks/{klingon.pk}/review/", **htmx()).content.decode()

    assert 'data-speak-none="No voice reads tlh here."' in html
    assert "data-speak-server" not in html


def test_a_listening_card_plays_its_sound_when_it_appears_and_hides_the_picture(
    as_alice, deck, alice
):
    card = make_card(deck=deck, front="el perro", back="the dog", direction="listening")
    Phrase.objects.filter(pk=card.phrase_id).update(image="users/1/images/x.jpg")

    html = as_alice.get("/review/", **htmx()).content.decode()

    assert "data-speak-auto" in html
    assert "phrase-image" not in html


def test_deleting_a_phrase_deletes_its_media(
    as_alice, phrase, tmp_path, media_storage, django_capture_on_commit_callbacks
):
    edit(as_alice, phrase, image_file=jpeg(), audio_file=recording(tmp_path))
    phrase.refresh_from_db()
    names = [phrase.image, phrase.audio]

    with django_capture_on_commit_callbacks(execute=True):
        as_alice.post(f"/phrases/{phrase.pk}/delete/", **htmx())

    assert [media_storage.exists(name) for name in names] == [False, False]


def test_deleting_a_deck_deletes_its_phrases_media(
    as_alice, phrase, deck, media_storage, django_capture_on_commit_callbacks
):
    edit(as_alice, phrase, image_file=jpeg())
    phrase.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        as_alice.post(f"/decks/{deck.pk}/delete/", **htmx())

    assert not media_storage.exists(phrase.image)


def with_media(phrases):
    made = speech.synthesise("front 0", "es")
    Phrase.objects.filter(pk__in=[p.pk for p in phrases]).update(
        image="users/1/images/x.jpg", audio="users/1/sounds/x.mp3", speech=made
    )


@pytest.mark.parametrize("media", [False, True], ids=["no media", "media"])
def test_review_screens_keep_their_queries_with_media(
    as_alice, deck, alice, django_assert_max_num_queries, media
):
    cards = make_cards(deck, 3)
    for card in cards[1:]:
        card.review(3, learner=alice, now=timezone.now() - timedelta(days=1))
    if media:
        with_media([card.phrase for card in cards])
    with django_assert_max_num_queries(3):
        assert "front" in as_alice.get("/review/", **htmx()).content.decode()
    with django_assert_max_num_queries(2):
        as_alice.get(f"/review/cards/{cards[0].pk}/answer/", **htmx(HTTP_HX_TARGET="review-card"))


def test_an_answer_with_a_picture_and_sounds_is_under_4_kb(as_alice, deck, media_storage):
    cards = make_cards(deck, 1, example="Un ejemplo bastante largo " * 4, notes="Nota " * 20)
    with_media([cards[0].phrase])
    url = f"/review/cards/{cards[0].pk}/answer/?since=1&deck={deck.pk}"

    response = as_alice.get(url, **htmx(HTTP_HX_TARGET="review-card"))

    html = response.content.decode()
    assert "phrase-image" in html and "data-speak-audio" in html and "data-speak-server" in html
    assert len(response.content) < 4096


def test_export_all_my_data_holds_the_phrases_media(alice, phrase, tmp_path, media_storage):
    import csv
    import zipfile

    from cards.exporting import user_archive

    client = Client(headers={"Authorization": f"tma {sign_for(alice)}"})
    edit(client, phrase, image_file=jpeg(), audio_file=recording(tmp_path))
    phrase.refresh_from_db()

    archive = zipfile.ZipFile(io.BytesIO(user_archive(alice)))

    (row,) = csv.DictReader(io.StringIO(archive.read("phrases.csv").decode()))
    assert (row["image"], row["audio"]) == (phrase.image, phrase.audio)
    with media_storage.open(phrase.image) as stored:
        assert archive.read(f"media/{phrase.image}") == stored.read()
    assert archive.read(f"media/{phrase.audio}")[:3] == b"ID3"


def test_a_shared_decks_copy_links_the_servers_reading_but_not_the_sharers_files(phrase, deck, bob):
    from cards.sharing import _copy

    made = speech.synthesise("la casa", "es")
    Phrase.objects.filter(pk=phrase.pk).update(speech=made, image="users/1/images/x.jpg")

    copy = _copy(deck, token="t", user=bob)

    copied = copy.phrases.get()
    assert copied.speech == made
    assert copied.image == ""
