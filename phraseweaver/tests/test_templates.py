"""The templates themselves: no path written by hand, and lines short enough to read; and
what static/js/app.js reads from the server beside them."""

import re
import time
from pathlib import Path

import pytest

from conftest import htmx, sign_for

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MAX_LINE = 120

# An attribute value that is, or continues after a template tag with, a path: href="/decks/…",
# data-tg-back="{% if deck %}/decks/…". Such paths are {% url %}'s (or {% static %}'s) job.
HAND_WRITTEN_PATH = re.compile(
    r"""(?:^|\s)[\w:-]+="""  # an attribute,
    r"""(?:"(?:[^"]*?(?:%}|}}))?|'(?:[^']*?(?:%}|}}))?)"""  # its quote, maybe text and a tag,
    r"""/"""  # then a slash
)


def template_files() -> list[Path]:
    files = sorted(TEMPLATES.rglob("*.html"))
    assert files, f"no templates under {TEMPLATES}"
    return files


def template_lines():
    for path in template_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            yield f"{path.relative_to(TEMPLATES)}:{number}", line


@pytest.mark.parametrize(
    "line",
    [
        '<a href="/decks/">',
        '<form action="/x/">',
        "<a hx-get='/stats/'>",
        'hx-push-url="/"',
        '<a href="/decks/{{ deck.pk }}/">',
        "data-tg-back=\"{% if deck %}{% url 'deck' deck.pk %}{% else %}/{% endif %}\"",
    ],
)
def test_the_path_check_sees_a_path_written_by_hand(line):
    assert HAND_WRITTEN_PATH.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "<a href=\"{% url 'deck' deck.pk %}\">",
        "<a href=\"{% url 'deck' deck.pk %}?{{ query }}\">",
        "<link href=\"{% static 'css/app.css' %}\">",
        '<script src="https://telegram.org/js/telegram-web-app.js">',
        'accept=".csv,text/*"',
    ],
)
def test_the_path_check_passes_urls_from_template_tags(line):
    assert not HAND_WRITTEN_PATH.search(line)


def test_no_template_writes_a_path_by_hand():
    found = [
        f"{where}: {line.strip()}"
        for where, line in template_lines()
        if HAND_WRITTEN_PATH.search(line)
    ]
    assert found == [], "use {% url %} or {% static %}:\n" + "\n".join(found)


def test_no_template_line_is_over_120_characters():
    long = [f"{where} ({len(line)})" for where, line in template_lines() if len(line) > MAX_LINE]
    assert long == [], "\n".join(long)


# static/js/app.js shows the "reopen the app" screen for error="expired" and nothing else; the
# browser test of that screen is in cards/tests/test_browser.py.
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("age", "tamper", "code", "body"),
    [
        (120, False, "expired", b"init data has expired"),
        (0, True, "invalid", b"init data signature is invalid"),
    ],
)
def test_a_refused_session_names_its_reason_in_www_authenticate(
    client, settings, age, tamper, code, body
):
    settings.TELEGRAM_INIT_DATA_MAX_AGE = 60
    signed = sign_for({"id": 778, "first_name": "Ann"}, auth_date=int(time.time()) - age)
    if tamper:
        signed = signed.replace("Ann", "Bob")
    response = client.get("/", HTTP_AUTHORIZATION=f"tma {signed}", **htmx())
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == f'tma realm="phraseweaver", error="{code}"'
    assert response.content == body  # the reason in words stays, for people and logs


@pytest.mark.django_db
def test_a_request_without_init_data_is_an_invalid_401(client):
    response = client.get("/", **htmx())
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'tma realm="phraseweaver", error="invalid"'
