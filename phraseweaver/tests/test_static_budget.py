import re
from pathlib import Path

from phraseweaver.staticfiles import minified

STATIC = Path(__file__).resolve().parents[2] / "static"

# Our own first-load CSS and JavaScript as production serves them, minified and before
# whitenoise's compression (htmx and Telegram's script are not ours).
FIRST_LOAD = ["css/app.css", "js/app.js"]
BUDGET_BYTES = 30 * 1024


def test_our_first_load_css_and_js_stay_under_30_kb():
    total = sum(len(minified(name, (STATIC / name).read_bytes())) for name in FIRST_LOAD)
    assert total < BUDGET_BYTES, f"{total} bytes"


def test_minifying_drops_comments_and_keeps_everything_else():
    source = b"/* why */\n.a {\n  color: red;\n}\n"
    assert minified("css/x.css", source) == b".a{color:red}"
    assert minified("js/x.js", b"// why\nvar a = 1;\n") == b"var a=1;"
    assert minified("js/htmx-2.min.js", b"// theirs\n") == b"// theirs\n"
    assert minified("img/logo.svg", b"<!-- kept -->") == b"<!-- kept -->"


def test_the_first_page_loads_only_those_htmx_and_telegrams_script(client, db):
    page = client.get("/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert [src.rsplit("/", 1)[-1] for src in scripts] == [
        "telegram-web-app.js",
        "htmx-2.min.js",
        "app.js",
    ]
    assert "<script>" not in page  # nothing inline: the Content-Security-Policy forbids it
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) == ["/static/css/app.css"]
