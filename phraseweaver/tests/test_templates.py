"""The templates themselves: no path written by hand, and lines short enough to read."""

import re
from pathlib import Path

import pytest

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
