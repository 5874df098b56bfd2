"""Hostile input at the import (hypothesis): whatever bytes a learner uploads or pastes, reading
them raises only ImportRefused (a message for the learner), and the import screens answer with
a page, a redirect or a 400 — never a 500."""

import contextlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cards.importing import ImportRefused, apkg, read_source
from cards.models import Deck
from conftest import htmx

PACKAGE_LIKE = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=2000).map(lambda tail: apkg.ZIP_MAGIC + tail),
    st.binary(max_size=2000).map(lambda tail: apkg.SQLITE_MAGIC + tail),
    st.text(max_size=2000).map(lambda text: text.encode("utf-8", errors="surrogatepass")),
)
SEPARATORS = st.one_of(st.just(""), st.text(max_size=3))
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=2000)
HOSTILE = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def zip_of(files: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@settings(max_examples=200, deadline=None)
@given(data=PACKAGE_LIKE, separator=SEPARATORS, row_separator=SEPARATORS)
@example(data=b"front\x00;back\n", separator="", row_separator="")
@example(
    data=zip_of({"collection.anki2": b"SQLite format 3\x00garbage"}), separator="", row_separator=""
)
@example(
    data=zip_of({"collection.anki21b": b"\x28\xb5\x2f\xfd" + b"\x00" * 64}),
    separator="",
    row_separator="",
)
def test_reading_any_bytes_raises_only_import_refused(data, separator, row_separator):
    with contextlib.suppress(ImportRefused):
        read_source(data, separator=separator, row_separator=row_separator)


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Imports", directions=["recognition"])


@HOSTILE
@given(content=PACKAGE_LIKE, text=TEXT, separator=SEPARATORS)
@example(content=b"front\x00;back\nzwei;two\n", text="", separator="")
@example(content=b"", text="a;b\n" * 3, separator=";")
def test_the_import_screens_never_fail(as_alice, deck, content, text, separator):
    for url in (f"/decks/{deck.pk}/import/preview/", f"/decks/{deck.pk}/import/"):
        form = {"text": text, "separator": separator, "custom_separator": separator}
        if content:
            form["file"] = SimpleUploadedFile("cards.txt", content)
        response = as_alice.post(url, form, **htmx())

        assert response.status_code in (200, 302, 400)
