"""Export: a deck as CSV or Anki package, all data as a zip, and round trips through import."""

import csv
import io
import logging
import re
import time
import zipfile
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest.mock import patch
from urllib.parse import parse_qsl, unquote

import pytest
from django.conf import settings
from django.core import signing
from django.utils import timezone

from cards.exporting import (
    deck_file,
    download_name,
    neutralise,
    user_archive,
)
from cards.importing import ImportOptions, deck_import, read_source
from cards.models import Deck, ExportJob, ReviewLog
from conftest import auth_headers, htmx, make_card, make_cards, sign_for

FIELDS = ("front", "back", "example", "notes", "tags")


@pytest.fixture
def deck(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish / Verbs")
    make_card(deck=deck, front="comer", back="to eat", example="Como pan.", tags="verb")
    make_card(deck=deck, front="=1+1", back="-formula", notes="@mention\nsecond line")
    make_card(deck=deck, front='<b>tag</b> & "quotes", commas', back="+plus\ttab")
    make_card(deck=deck, front="привет", back="hello", tags="greeting russian")
    return deck


def cards_of(deck):
    return sorted(deck.phrases.values_list(*FIELDS))


def import_all(deck, data):
    source = read_source(data)
    return deck_import(deck=deck, source=source, options=ImportOptions(mapping=source.mapping))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (3, 3),
    ],
)
def test_it_neutralises_spreadsheet_formulas(value, expected):
    assert neutralise(value) == expected


def test_the_csv_has_a_header_and_no_live_formulas(deck):
    data = deck_file(deck, "csv")
    records = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert records[0] == list(FIELDS)
    assert records[1] == ["comer", "to eat", "Como pan.", "", "verb"]
    assert records[2][:2] == ["'=1+1", "'-formula"]
    assert records[2][3] == "'@mention\nsecond line"
    assert all(not value.startswith(("=", "+", "-", "@")) for row in records for value in row)


def test_a_csv_round_trip_gives_the_same_cards(deck, alice):
    copy = Deck.objects.create(owner=alice, name="Copy")
    report = import_all(copy, deck_file(deck, "csv"))
    assert (report.added, report.skipped) == (4, [])
    assert cards_of(copy) == cards_of(deck)


def test_the_anki_package_is_one_anki_opens(deck):
    archive = zipfile.ZipFile(io.BytesIO(deck_file(deck, "apkg")))
    assert sorted(archive.namelist()) == ["collection.anki2", "media"]
    assert archive.read("collection.anki2").startswith(b"SQLite format 3\x00")


def test_an_anki_round_trip_gives_the_same_cards(deck, alice):
    copy = Deck.objects.create(owner=alice, name="Copy")
    report = import_all(copy, deck_file(deck, "apkg"))
    assert (report.added, report.skipped) == (4, [])
    assert cards_of(copy) == cards_of(deck)


def test_the_archive_holds_every_deck_card_and_review(deck, alice, bob):
    card = deck.cards.first()
    card.review(3, learner=alice, now=datetime(2025, 1, 1, tzinfo=UTC))
    Deck.objects.create(owner=bob, name="Bob's")
    archive = zipfile.ZipFile(io.BytesIO(user_archive(alice)))
    assert sorted(archive.namelist()) == [
        "account.json",
        "cards.csv",
        "decks.csv",
        "phrases.csv",
        "reviews.csv",
    ]
    decks = list(csv.DictReader(io.StringIO(archive.read("decks.csv").decode())))
    assert [row["name"] for row in decks] == ["Spanish / Verbs"]
    phrases = list(csv.DictReader(io.StringIO(archive.read("phrases.csv").decode())))
    assert len(phrases) == 4
    cards = list(csv.DictReader(io.StringIO(archive.read("cards.csv").decode())))
    assert len(cards) == 4
    assert {row["phrase_id"] for row in cards} == {row["id"] for row in phrases}
    reviews = list(csv.DictReader(io.StringIO(archive.read("reviews.csv").decode())))
    assert [(row["card_id"], row["rating"]) for row in reviews] == [(str(card.pk), "3")]
    assert b'"telegram_id": 111' in archive.read("account.json")


def test_the_archive_holds_nothing_of_another_learners_decks_cards_or_reviews(deck, alice, bob):
    deck.cards.first().review(3, learner=alice, now=datetime(2025, 1, 1, tzinfo=UTC))
    bobs = Deck.objects.create(owner=bob, name="Bob's German")
    bobs_cards = [
        make_card(deck=bobs, front=f"bobs-front-{n}", back=f"bobs-back-{n}") for n in range(2)
    ]
    for card in bobs_cards:
        card.review(4, learner=bob, now=datetime(2025, 2, 1, tzinfo=UTC))
    assert ReviewLog.objects.filter(user=bob).count() == 2

    archive = zipfile.ZipFile(io.BytesIO(user_archive(alice)))

    def rows(name):
        return list(csv.DictReader(io.StringIO(archive.read(name).decode())))

    assert [row["name"] for row in rows("decks.csv")] == ["Spanish / Verbs"]
    cards = rows("cards.csv")
    assert sorted(row["id"] for row in cards) == sorted(
        str(pk) for pk in deck.cards.values_list("pk", flat=True)
    )
    assert {row["deck_id"] for row in cards} == {str(deck.pk)}
    reviews = rows("reviews.csv")
    assert [row["card_id"] for row in reviews] == [str(deck.cards.first().pk)]
    assert not {row["card_id"] for row in reviews} & {str(card.pk) for card in bobs_cards}
    for name in archive.namelist():
        content = archive.read(name)
        assert b"bobs-" not in content
        assert b"Bob's German" not in content
        assert b'"telegram_id": 222' not in content


def test_the_export_page_renders_in_full_and_as_a_partial(as_alice, deck):
    page = as_alice.get(f"/decks/{deck.pk}/export/")
    assert b"<html" in page.content
    partial = as_alice.get(f"/decks/{deck.pk}/export/", **htmx())
    assert b"<html" not in partial.content
    assert b"format=csv&amp;token=" in partial.content


def test_a_deck_downloads_as_csv_anki_text_and_apkg(as_alice, deck):
    response = as_alice.get(f"/decks/{deck.pk}/export/?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Spanish_Verbs.csv\"; filename*=UTF-8''Spanish%20Verbs.csv"
    )
    assert b"".join(response.streaming_content) == deck_file(deck, "csv")
    response = as_alice.get(f"/decks/{deck.pk}/export/?format=anki")
    assert response["Content-Disposition"].endswith("filename*=UTF-8''Spanish%20Verbs.txt")
    assert b"".join(response.streaming_content) == deck_file(deck, "anki")
    response = as_alice.get(f"/decks/{deck.pk}/export/?format=apkg")
    assert b"".join(response.streaming_content).startswith(b"PK\x03\x04")
    assert as_alice.get(f"/decks/{deck.pk}/export/?format=xls").status_code == 400


def test_a_signed_link_downloads_without_init_data_for_ten_minutes(as_alice, client, deck):
    page = as_alice.get(f"/decks/{deck.pk}/export/", **htmx()).content.decode()
    link = re.search(r'href="([^"]*format=csv[^"]*)"', page)[1].replace("&amp;", "&")
    client.defaults.pop("HTTP_AUTHORIZATION")
    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == deck_file(deck, "csv")
    # Another deck's path, or a forged token, gets nothing.
    other = Deck.objects.create(owner=deck.owner, name="Other")
    moved = link.replace(f"/decks/{deck.pk}/", f"/decks/{other.pk}/")
    assert client.get(moved).status_code == 403
    assert client.get(link[:-3] + "abc").status_code == 403


def download_link(client, page_url, query):
    """The signed download link that an export page offers."""
    page = client.get(page_url, **htmx()).content.decode()
    return re.search(rf'href="([^"]*{query}[^"]*)"', page)[1].replace("&amp;", "&")


def all_my_data_link(client):
    """Start "Export all my data" (the immediate backend in tests prepares it at once) and
    take the signed download link its screen offers."""
    client.post("/settings/export/", **htmx())
    return download_link(client, "/settings/export/", "download=zip")


def path_of(link):
    return link.split("?", 1)[0]


@contextmanager
def minutes_later(minutes):
    """Django's signing sees its clock moved on by this many minutes; nothing else does."""
    later = time.time() + minutes * 60
    with patch.object(signing, "time", SimpleNamespace(time=lambda: later)):
        yield


def test_a_signed_deck_link_works_at_nine_minutes_and_is_refused_at_eleven(as_alice, deck):
    link = download_link(as_alice, f"/decks/{deck.pk}/export/", "format=csv")
    as_alice.defaults.pop("HTTP_AUTHORIZATION")
    with minutes_later(9):
        response = as_alice.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == deck_file(deck, "csv")
    with minutes_later(11):
        response = as_alice.get(link)
    assert response.status_code == 403
    assert b"comer" not in response.content


def test_a_signed_all_my_data_link_works_at_nine_minutes_and_is_refused_at_eleven(as_alice, deck):
    link = all_my_data_link(as_alice)
    as_alice.defaults.pop("HTTP_AUTHORIZATION")
    with minutes_later(9):
        response = as_alice.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with minutes_later(11):
        response = as_alice.get(link)
    assert response.status_code == 403
    assert not response.content.startswith(b"PK")


def test_a_signed_link_for_one_path_opens_no_other(as_alice, alice, bob, deck):
    everything = all_my_data_link(as_alice)
    deck_link = download_link(as_alice, f"/decks/{deck.pk}/export/", "format=csv")
    as_alice.defaults.pop("HTTP_AUTHORIZATION")
    deck_token = deck_link.rsplit("token=", 1)[1]
    everything_token = everything.rsplit("token=", 1)[1]

    # A deck's link is no key to all of the learner's data, nor the other way round.
    response = as_alice.get(f"{path_of(everything)}?download=zip&token={deck_token}")
    assert response.status_code == 403
    assert not response.content.startswith(b"PK")
    response = as_alice.get(f"/settings/export/?download=zip&token={everything_token}")
    assert response.status_code == 403
    assert not response.content.startswith(b"PK")
    response = as_alice.get(f"/decks/{deck.pk}/export/?format=csv&token={everything_token}")
    assert response.status_code == 403
    assert b"comer" not in response.content
    # Nor is one export's link a key to another export.
    bob_export = ExportJob.objects.create(
        owner=bob, status=ExportJob.Status.DONE, archive=b"PK bob", finished=timezone.now()
    )
    response = as_alice.get(
        f"/settings/export/{bob_export.pk}/?download=zip&token={everything_token}"
    )
    assert response.status_code == 403
    assert not response.content.startswith(b"PK")
    # Nor is one deck's link a key to another deck of the same learner.
    other = Deck.objects.create(owner=alice, name="Other")
    make_card(deck=other, front="secret-other", back="b")
    response = as_alice.get(f"/decks/{other.pk}/export/?format=csv&token={deck_token}")
    assert response.status_code == 403
    assert b"secret-other" not in response.content


def test_all_my_data_downloads_as_a_zip(as_alice, deck):
    as_alice.post("/settings/export/", **htmx())
    page = as_alice.get("/settings/export/", **htmx())
    assert b"download=zip&amp;token=" in page.content
    assert b"<html" in as_alice.get("/settings/export/").content
    job = ExportJob.objects.get()
    response = as_alice.get(f"/settings/export/{job.pk}/?download=zip")
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="phraseweaver-export.zip"'
    assert "cards.csv" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()


@pytest.mark.parametrize("url", ["/decks/{}/export/", "/decks/{}/export/?format=csv"])
def test_another_learners_deck_is_not_found(client, bob, deck, url):
    response = client.get(
        url.format(deck.pk), HTTP_AUTHORIZATION=auth_headers(bob)["Authorization"]
    )
    assert response.status_code == 404


def test_the_deck_export_page_only_answers_get(as_alice, deck):
    assert as_alice.post(f"/decks/{deck.pk}/export/").status_code == 405


def test_all_my_data_answers_get_and_post_and_its_job_only_get(as_alice, deck):
    for method in ("put", "patch", "delete"):
        assert getattr(as_alice, method)("/settings/export/").status_code == 405
    as_alice.post("/settings/export/", **htmx())
    job = ExportJob.objects.get()
    for method in ("post", "put", "patch", "delete"):
        assert getattr(as_alice, method)(f"/settings/export/{job.pk}/").status_code == 405


@pytest.mark.parametrize("count", [1, 50])
def test_exports_take_a_constant_number_of_queries(
    as_alice, alice, count, django_assert_max_num_queries
):
    deck = Deck.objects.create(owner=alice, name="Big")
    make_cards(deck, count, prefix="w", back="b")
    for card in deck.cards.all()[:count]:
        card.owner = alice
        card.review(3, learner=alice)
    assert ReviewLog.objects.count() == count
    for format, queries in (("csv", 4), ("anki", 4), ("apkg", 7)):
        with django_assert_max_num_queries(queries):
            response = as_alice.get(f"/decks/{deck.pk}/export/?format={format}")
        assert response.status_code == 200
    # Preparing it (the immediate backend runs the task in the request; one query is the
    # phrases' media files) and downloading it.
    with django_assert_max_num_queries(21):
        as_alice.post("/settings/export/", **htmx())
    job = ExportJob.objects.get(status=ExportJob.Status.DONE)
    with django_assert_max_num_queries(6):
        response = as_alice.get(f"/settings/export/{job.pk}/?download=zip")
    assert response["Content-Type"] == "application/zip"


# A signed link opens one download, once asked for with initData, and is never written down


def token_of(link):
    return link.rsplit("token=", 1)[1]  # as the link carries it, URL-encoded


def test_a_signed_link_is_good_for_its_one_format_only(as_alice, deck):
    csv_link = download_link(as_alice, f"/decks/{deck.pk}/export/", "format=csv")
    apkg_link = download_link(as_alice, f"/decks/{deck.pk}/export/", "format=apkg")
    as_alice.defaults.pop("HTTP_AUTHORIZATION")

    response = as_alice.get(f"/decks/{deck.pk}/export/?format=apkg&token={token_of(csv_link)}")
    assert response.status_code == 403
    assert not response.content.startswith(b"PK")
    response = as_alice.get(f"/decks/{deck.pk}/export/?format=csv&token={token_of(apkg_link)}")
    assert response.status_code == 403
    assert b"comer" not in response.content
    assert b"".join(as_alice.get(csv_link).streaming_content) == deck_file(deck, "csv")


@pytest.mark.parametrize("page", ["/decks/{}/export/", "/settings/export/"])
def test_a_signed_link_opens_no_export_page_so_it_never_renews_itself(as_alice, deck, page):
    page = page.format(deck.pk)
    if page == "/settings/export/":
        link = all_my_data_link(as_alice)
        pages = [page, path_of(link)]  # the screen, and the export's own (polled) state
    else:
        link = download_link(as_alice, page, "format=csv")
        pages = [page]
    as_alice.defaults.pop("HTTP_AUTHORIZATION")

    for each in pages:
        for headers in ({}, htmx()):
            response = as_alice.get(f"{each}?token={token_of(link)}", **headers)
            assert response.status_code == 403
            assert b"token=" not in response.content
    with minutes_later(11):
        assert as_alice.get(link).status_code == 403


def test_a_signed_link_with_anything_added_is_refused(as_alice, deck):
    link = download_link(as_alice, f"/decks/{deck.pk}/export/", "format=csv")
    as_alice.defaults.pop("HTTP_AUTHORIZATION")

    assert as_alice.get(f"{link}&format=apkg").status_code == 403
    assert as_alice.get(f"{link}&download=zip").status_code == 403


@pytest.fixture
def logged():
    """Everything the app's log handlers write (settings.LOGGING), at every level, while the
    test runs."""
    root, server = logging.getLogger(), logging.getLogger("django.server")
    handlers = [
        h for h in root.handlers + server.handlers if h.get_name() in settings.LOGGING["handlers"]
    ]
    assert {h.get_name() for h in handlers} == set(settings.LOGGING["handlers"])
    buffer = io.StringIO()
    streams = [handler.setStream(buffer) for handler in handlers]
    saved_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)
        root.setLevel(saved_level)


def test_no_token_or_init_data_reaches_a_log_line(as_alice, client, alice, deck, logged):
    init_data = sign_for(alice)
    link = download_link(as_alice, f"/decks/{deck.pk}/export/", "format=csv")
    token = token_of(link)
    as_alice.defaults.pop("HTTP_AUTHORIZATION")

    as_alice.get(link)  # a download
    as_alice.get(f"/decks/{deck.pk}/export/?format=apkg&token={token}")  # refused: 403
    as_alice.get(f"/decks/{deck.pk + 1000}/export/?format=csv&token={token}")  # 403
    with minutes_later(11):
        as_alice.get(link)  # expired: 403
    as_alice.get(f"/no-such-page/?token={token}")  # 404
    client.get(f"/decks/{deck.pk}/", HTTP_AUTHORIZATION=f"tma {init_data}x")  # 401
    # What the development server writes for each request: the request line, query and all.
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET {link}&tgWebAppData={init_data} HTTP/1.1", "200", "12"
    )

    lines = logged.getvalue()
    assert "Forbidden" in lines and "Not Found" in lines  # the requests were logged
    assert token not in lines
    assert unquote(token) not in lines
    assert unquote(token).split(":")[-1] not in lines  # the signature alone neither
    assert init_data not in lines
    assert dict(parse_qsl(init_data))["hash"] not in lines
    assert f"GET /decks/{deck.pk}/export/?format=csv&token=" in lines


def test_the_text_for_anki_says_its_separator_html_columns_tags_and_deck(deck):
    lines = deck_file(deck, "anki").decode().split("\n")
    assert lines[:5] == [
        "#separator:tab",
        "#html:true",
        "#columns:Front\tBack\tExample\tNotes\tTags",
        "#tags column:5",
        "#deck:Spanish / Verbs",
    ]
    assert lines[5] == "comer\tto eat\tComo pan.\t\tverb"
    # HTML-escaped (Anki reads the fields as HTML), line breaks as <br>, no formula guard.
    assert lines[6] == "=1+1\t-formula\t\t@mention<br>second line\t"
    assert lines[7] == '&lt;b&gt;tag&lt;/b&gt; &amp; &quot;quotes&quot;, commas\t"+plus\ttab"\t\t\t'


@pytest.mark.parametrize(
    ("name", "readable", "plain"),
    [
        ("Español: año", "Español año.apkg", "Espanol_ano.apkg"),
        ("Русский язык", "Русский язык.apkg", "deck.apkg"),
        ("Emoji 🇪🇸 deck", "Emoji 🇪🇸 deck.apkg", "Emoji_deck.apkg"),
        ('../a\\b"c\n', "a b c.apkg", "a_b_c.apkg"),
    ],
)
def test_download_names_stay_readable_with_an_ascii_stand_in(name, readable, plain):
    assert download_name(name, "apkg") == (readable, plain)


def test_the_download_header_carries_the_readable_name_as_rfc_6266_filename_star(as_alice, alice):
    deck = Deck.objects.create(owner=alice, name="Русский 🇷🇺")
    response = as_alice.get(f"/decks/{deck.pk}/export/?format=apkg")
    assert response["Content-Disposition"] == (
        'attachment; filename="deck.apkg"; '
        "filename*=UTF-8''%D0%A0%D1%83%D1%81%D1%81%D0%BA%D0%B8%D0%B9%20%F0%9F%87%B7%F0%9F%87%BA.apkg"
    )
    assert unquote(response["Content-Disposition"].split("''")[1]) == "Русский 🇷🇺.apkg"
