"""The Mini App in headless Chromium, opened exactly as a Telegram client opens it.

Telegram's own telegram-web-app.js (scripts/fetch-telegram-js.sh puts it in .cache/; it is never
committed) is served in place of the CDN. `window.TelegramWebviewProxy` records what the app asks
of Telegram, and the client's button presses are sent back through Telegram.WebView.receiveEvent,
as Telegram's Android client does. Screenshots go to test-artifacts/screenshots/.
"""

import json
import os
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from cards.models import Card, Deck, ImportJob, ReviewLog
from conftest import sign_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TELEGRAM_JS = Path(settings.BASE_DIR) / ".cache" / "telegram-web-app.js"
TELEGRAM_JS_URL = "https://telegram.org/js/telegram-web-app.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

DAY = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
    "section_bg_color": "#ffffff",
    "destructive_text_color": "#e53935",
}
NIGHT = {
    "bg_color": "#212121",
    "text_color": "#f5f5f5",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#0f0f0f",
    "section_bg_color": "#212121",
    "destructive_text_color": "#ff595a",
}

# What a Telegram client provides to the page: the bridge the script posts its events to.
RECORD_TELEGRAM_EVENTS = """
window.__telegramEvents = [];
window.TelegramWebviewProxy = {
  postEvent: function (type, data) {
    window.__telegramEvents.push({type: type, data: data ? JSON.parse(data) : null});
  }
};
"""


@pytest.fixture(scope="module")
def browser():
    """One Chromium for all the browser tests (they all live in this module)."""
    if not TELEGRAM_JS.is_file():
        pytest.fail(
            f"{TELEGRAM_JS} is missing: run scripts/fetch-telegram-js.sh (the browser tests "
            "run the app with Telegram's own script, which is fetched, never committed)"
        )
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    # Playwright's synchronous API keeps an asyncio loop marked as running in this thread, and
    # Django then refuses the tests' ORM calls. They are synchronous code, so the check is
    # lifted while the browser runs (the app itself runs in live_server's own thread).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


class MiniApp:
    """One Telegram client session with the Mini App, on a 360 px wide phone."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.errors = []  # what the page logged as errors: none, unless a test expects some

    def open(self, user, *, theme=DAY, path="/", init_data=None, screen="[data-tg-back], .home"):
        """Open the app as Telegram's Android client does, for a User or Telegram's user dict
        (or with the given initData), and wait for a `screen` in #app."""
        init_data = quote(init_data or sign_for(user), safe="")
        fragment = (
            f"tgWebAppData={init_data}&tgWebAppVersion=8.0&tgWebAppPlatform=android"
            f"&tgWebAppThemeParams={quote(json.dumps(theme), safe='')}"
        )
        self.page.goto(f"{self.base_url}{path}#{fragment}")
        selector = ", ".join(f"#app {part.strip()}" for part in screen.split(","))
        expect(self.page.locator(selector)).to_have_count(1)

    def expect_errors(self, *fragments):
        """The page logged errors, each naming one of `fragments` (say, a refused request):
        they are expected, and forgotten."""
        unexpected = [e for e in self.errors if not any(f in e for f in fragments)]
        assert len(unexpected) < len(self.errors), "no error was logged"
        self.errors[:] = unexpected

    def idle(self):
        """Wait until htmx has no request in flight and has settled its last swap (the app
        sets Telegram's buttons up when a swap settles)."""
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        )

    def events(self, kind=None) -> list[dict]:
        self.idle()
        recorded = self.page.evaluate("window.__telegramEvents")
        return [e for e in recorded if kind is None or e["type"] == kind]

    def forget_events(self):
        self.page.evaluate("window.__telegramEvents.length = 0")

    def main_button(self) -> dict:
        """The MainButton as Telegram shows it now: the latest set-up the app sent."""
        return self.events("web_app_setup_main_button")[-1]["data"]

    def back_button_visible(self) -> bool:
        return self.events("web_app_setup_back_button")[-1]["data"]["is_visible"]

    def haptics(self) -> list[dict]:
        return [e["data"] for e in self.events("web_app_trigger_haptic_feedback")]

    # A person reacts after a screen has settled; a test must wait for that explicitly (htmx
    # wires a new screen's buttons when it settles).
    def tap(self, selector):
        self.idle()
        self.page.click(selector)

    def key(self, key):
        self.idle()
        self.page.keyboard.press(key)

    def press_main_button(self):
        self.idle()
        self.page.evaluate("window.Telegram.WebView.receiveEvent('main_button_pressed')")

    def press_back_button(self):
        self.idle()
        self.page.evaluate("window.Telegram.WebView.receiveEvent('back_button_pressed')")

    def assert_fits(self):
        """No horizontal scrolling on a narrow phone."""
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"]

    def screenshot(self, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


@pytest.fixture
def mini_app(browser, live_server):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, has_touch=True
    )
    context.route(
        TELEGRAM_JS_URL,
        lambda route: route.fulfill(path=TELEGRAM_JS, content_type="text/javascript"),
    )
    context.add_init_script(RECORD_TELEGRAM_EVENTS)
    page = context.new_page()
    app = MiniApp(page, live_server.url)
    page.on("console", lambda m: app.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: app.errors.append(str(error)))
    yield app
    context.close()
    assert app.errors == [], "the page logged errors"


def color(page, selector, prop) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")


def rgb(hex_color: str) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def seed_deck(owner, name, fronts, **deck_fields):
    deck = Deck.objects.create(owner=owner, name=name, **deck_fields)
    for front in fronts:
        Card.objects.create(deck=deck, front=front, back=f"{front} (back)", example="An example.")
    return deck


def test_a_new_learner_creates_a_deck_adds_cards_and_studies_them(mini_app):
    app, page = mini_app, mini_app.page
    app.open({"id": 5001, "first_name": "Nina", "language_code": "en"})
    expect(page.locator("h1")).to_have_text("Hello, Nina!")
    assert app.events("web_app_ready")
    assert app.main_button()["text"] == "Add your first deck"
    assert app.main_button()["is_visible"]
    assert not app.back_button_visible()

    app.press_main_button()
    expect(page.locator("h1")).to_have_text("New deck")
    assert app.back_button_visible()
    page.fill("#id_name", "Spanish")
    page.select_option("#id_front_lang", "es")
    page.select_option("#id_back_lang", "en")
    app.press_main_button()  # Save
    expect(page.locator("h1")).to_have_text("Spanish")
    for front, back in [("hola", "hello"), ("gracias", "thank you"), ("adiós", "goodbye")]:
        page.fill("#add-front", front)
        page.fill("#add-back", back)
        app.tap("#card-add button[type=submit]")
        expect(page.locator("#card-list")).to_contain_text(front)
    expect(page.locator(".count.new")).to_have_text("3 new")
    app.assert_fits()
    app.screenshot("day-deck")

    app.press_main_button()  # Study
    expect(page.locator(".review-left")).to_have_text("3 cards left")
    button = app.main_button()
    assert (button["text"], button["is_visible"]) == ("Show answer", True)
    assert app.back_button_visible()
    assert app.events("web_app_setup_swipe_behavior")[-1]["data"] == {"allow_vertical_swipe": False}
    # Headless Chromium has no voices: the speaker stays hidden.
    expect(page.locator(".speak")).to_be_hidden()
    app.assert_fits()
    app.screenshot("day-review-question")

    studied = [
        ("3 cards left", "hola", 3),
        ("2 cards left", "gracias", 4),
        ("1 card left", "adiós", 1),
    ]
    for left, front, rating in studied:
        expect(page.locator(".review-left")).to_have_text(left)
        expect(page.locator("#review-front")).to_have_text(front)
        app.press_main_button()  # Show answer
        expect(page.locator("[data-review-answer]")).to_be_visible()
        assert not app.main_button()["is_visible"]
        if front == "hola":
            expect(page.locator('[data-review-grade="3"]')).to_have_text("Good 10m")
            app.assert_fits()
            app.screenshot("day-review-answer")
        app.forget_events()
        app.tap(f'[data-review-grade="{rating}"]')
        expect(page.locator("[data-review-answer]")).to_have_count(0)
        assert {"type": "impact", "impact_style": "light"} in app.haptics()

    expect(page.locator("[data-review-summary]")).to_contain_text("You reviewed 3 cards.")
    app.tap("[data-review-undo]")
    expect(page.locator("#review-front")).to_have_text("adiós")
    expect(page.locator(".review-left")).to_have_text("1 card left")
    assert app.main_button()["text"] == "Show answer"
    assert ReviewLog.objects.count() == 2
    app.key("Space")
    app.tap('[data-review-grade="3"]')

    summary = page.locator("[data-review-summary]")
    expect(summary).to_contain_text("You reviewed 3 cards.")
    ratings = page.locator(".review-ratings dd").all_inner_texts()
    assert ratings == ["0", "0", "2", "1"]
    assert {"type": "notification", "notification_type": "success"} in app.haptics()
    assert app.main_button()["text"] == "Done"
    app.assert_fits()
    app.screenshot("day-summary")
    logs = ReviewLog.objects.order_by("id")
    assert [log.rating for log in logs] == [3, 4, 3]
    assert all(0 < log.duration_ms <= 600_000 for log in logs)

    app.press_back_button()
    expect(page.locator("h1")).to_have_text("Hello, Nina!")
    assert not app.back_button_visible()
    assert app.events("web_app_setup_swipe_behavior")[-1]["data"] == {"allow_vertical_swipe": True}
    expect(page.locator(".glance div").nth(2)).to_contain_text("3")  # reviewed today
    expect(page.locator(".deck-row .count.new")).to_have_text("0 new")
    app.assert_fits()
    app.screenshot("day-home")

    app.tap("nav.links >> text=Settings")
    expect(page.locator("h1")).to_have_text("Settings")
    app.assert_fits()
    app.screenshot("day-settings")


def test_a_russian_learner_at_night_reviews_in_russian_and_the_theme_colours(mini_app, make_user):
    app, page = mini_app, mini_app.page
    ira = make_user(5002, "Ира", language_code="ru")
    seed_deck(ira, "Испанский", ["hola", "gracias"], front_lang="es", back_lang="ru")
    app.open(ira, theme=NIGHT)
    assert color(page, "body", "backgroundColor") == rgb(NIGHT["secondary_bg_color"])
    assert color(page, "body", "color") == rgb(NIGHT["text_color"])
    assert color(page, ".deck-row", "color") == rgb(NIGHT["text_color"])
    app.assert_fits()
    app.screenshot("night-home")

    app.tap(".deck-row")
    expect(page.locator("h1")).to_have_text("Испанский")
    app.assert_fits()
    app.screenshot("night-deck")

    app.tap("#study-deck")
    expect(page.locator(".review-left")).to_have_text("Осталось 2 карточки")
    assert app.main_button()["text"] == "Показать ответ"
    assert color(page, ".review-card", "backgroundColor") == rgb(NIGHT["section_bg_color"])
    app.assert_fits()
    app.screenshot("night-review-question")

    app.press_main_button()
    expect(page.locator('[data-review-grade="1"]')).to_have_text("Снова 1m")
    assert color(page, '[data-review-grade="3"]', "backgroundColor") == rgb(NIGHT["button_color"])
    app.assert_fits()
    app.screenshot("night-review-answer")
    app.tap('[data-review-grade="3"]')
    expect(page.locator(".review-left")).to_have_text("Осталась 1 карточка")
    app.press_main_button()
    app.tap('[data-review-grade="4"]')

    expect(page.locator("[data-review-summary]")).to_contain_text("Вы повторили 2 карточки.")
    assert app.main_button()["text"] == "Готово"
    app.assert_fits()
    app.screenshot("night-summary")

    app.press_main_button()  # Готово: home
    expect(page.locator("[data-review]")).to_have_count(0)
    app.tap('nav.links a[href="/settings/"]')
    expect(page.locator("#settings-save")).to_be_visible()
    app.assert_fits()
    app.screenshot("night-settings")


def test_the_keyboard_reviews_without_touching_the_screen(mini_app, make_user):
    app, page = mini_app, mini_app.page
    kim = make_user(5003, "Kim")
    seed_deck(kim, "French", ["bonjour", "merci"])
    app.open(kim, path="/review/")
    expect(page.locator("#review-front")).to_have_text("bonjour")
    app.key("Space")
    expect(page.locator("[data-review-answer]")).to_contain_text("bonjour (back)")
    app.key("3")
    expect(page.locator("#review-front")).to_have_text("merci")
    app.key("u")
    expect(page.locator("#review-front")).to_have_text("bonjour")
    assert ReviewLog.objects.count() == 0
    app.key("Space")
    app.key("4")
    app.key("Space")
    app.key("1")
    expect(page.locator("[data-review-summary]")).to_contain_text("You reviewed 2 cards.")
    assert sorted(ReviewLog.objects.values_list("rating", flat=True)) == [1, 4]


def test_a_double_tapped_grade_is_applied_once(mini_app, make_user):
    app, page = mini_app, mini_app.page
    ola = make_user(5004, "Ola")
    seed_deck(ola, "Polish", ["dzień dobry", "dziękuję"])
    app.open(ola, path="/review/")
    app.press_main_button()
    app.idle()
    page.dblclick('[data-review-grade="3"]')
    expect(page.locator("#review-front")).to_have_text("dziękuję")
    app.idle()
    assert ReviewLog.objects.count() == 1


# A device with a Spanish voice and no German one.
FAKE_VOICES = """
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
Object.defineProperty(window, "speechSynthesis", {value: {
  getVoices: function () { return [{lang: "es-ES", name: "Lucía"}]; },
  speak: function (u) { window.__spoken.push([u.text, u.lang]); },
  cancel: function () {},
  addEventListener: function () {}
}});
"""


def test_the_speaker_shows_only_for_a_language_the_device_can_speak(mini_app, make_user):
    app, page = mini_app, mini_app.page
    page.add_init_script(FAKE_VOICES)
    ana = make_user(5005, "Ana")
    spanish = seed_deck(ana, "Spanish", ["buenos días"], front_lang="es")
    german = seed_deck(ana, "German", ["guten Tag"], front_lang="de")
    app.open(ana, path=f"/decks/{spanish.pk}/review/")
    app.tap(".speak")
    assert page.evaluate("window.__spoken") == [["buenos días", "es-ES"]]
    app.open(ana, path=f"/decks/{german.pk}/review/")
    expect(page.locator("#review-front")).to_have_text("guten Tag")
    expect(page.locator(".speak")).to_be_hidden()


def expired_init_data(user) -> str:
    return sign_for(user, auth_date=int(time.time()) - settings.TELEGRAM_INIT_DATA_MAX_AGE - 60)


def test_an_expired_session_asks_to_reopen_the_app(mini_app):
    """The server's 401 says error="expired" in WWW-Authenticate; app.js reads that header."""
    app, page = mini_app, mini_app.page
    eve = {"id": 5006, "first_name": "Eve", "language_code": "en"}
    app.open(eve, init_data=expired_init_data(eve), screen=".reopen")
    expect(page.locator("#app h1")).to_have_text("Please reopen the app")
    expect(page.locator("#flash")).to_be_hidden()
    assert not app.main_button()["is_visible"]
    assert {"type": "notification", "notification_type": "error"} in app.haptics()
    app.tap("#app [data-tg-close]")
    assert app.events("web_app_close")
    app.expect_errors("401")


def test_a_refused_session_that_has_not_expired_is_an_error_not_a_reopen(mini_app):
    app, page = mini_app, mini_app.page
    fay = {"id": 5007, "first_name": "Fay", "language_code": "en"}
    forged = sign_for(fay).replace("Fay", "Kay")  # the signature no longer matches
    app.open(fay, init_data=forged, screen=".shell")
    expect(page.locator("#flash")).to_have_text("Something went wrong. Please try again.")
    expect(page.locator("#app .reopen")).to_have_count(0)
    app.tap("#flash")
    expect(page.locator("#flash")).to_be_hidden()
    app.expect_errors("401")


def test_a_link_that_no_longer_works_shows_why_inside_the_app(mini_app):
    """The 404 carries X-Error-Page, so app.js swaps the page in instead of flashing an error."""
    app, page = mini_app, mini_app.page
    gus = {"id": 5008, "first_name": "Gus", "language_code": "en"}
    app.open(gus, path="/shared/no-such-token/", screen=".shared-missing")
    expect(page.locator("#app .shared-missing")).to_contain_text("This link does not work")
    expect(page.locator("#flash")).to_be_hidden()
    assert app.back_button_visible()
    app.expect_errors("404")


def test_telegram_shows_its_own_sheets_dialogs_and_requests(mini_app, make_user):
    """Sharing, downloading, confirming and asking for write access go through Telegram."""
    app, page = mini_app, mini_app.page
    gus = make_user(5008, "Gus")
    deck = seed_deck(gus, "Spanish", ["hola", "gracias"])

    app.open(gus, path=f"/decks/{deck.pk}/share/")
    app.tap("#share button[type=submit]")  # Create a share link
    app.forget_events()
    app.tap("[data-tg-share-url]")
    (opened,) = app.events("web_app_open_tg_link")
    assert opened["data"]["path_full"].startswith("/share/url?url=")
    assert {"type": "impact", "impact_style": "light"} in app.haptics()

    app.open(gus, path=f"/decks/{deck.pk}/export/")
    # Telegram downloads only over HTTPS; the test server speaks HTTP.
    page.eval_on_selector("a[data-tg-download]", "a => { a.href = 'https://example.com/x.csv'; }")
    app.tap("a[data-tg-download]")
    (download,) = app.events("web_app_request_file_download")
    assert download["data"] == {"url": "https://example.com/x.csv", "file_name": "Spanish.csv"}

    app.open(gus, path=f"/decks/{deck.pk}/")
    app.tap("#card-list li:first-child button.danger")
    (popup,) = app.events("web_app_open_popup")
    assert popup["data"]["message"] == "Delete the card “gracias”?"
    page.evaluate("window.Telegram.WebView.receiveEvent('popup_closed', {button_id: 'ok'})")
    expect(page.locator("#card-list li")).to_have_count(1)

    app.open(gus, path="/settings/")
    page.check("[data-tg-request-write-access]")
    assert app.events("web_app_request_write_access")
    page.evaluate(
        "window.Telegram.WebView.receiveEvent('write_access_requested', {status: 'cancelled'})"
    )
    expect(page.locator("[data-tg-request-write-access]")).not_to_be_checked()


def test_the_import_progress_bar_updates_itself_until_the_report_waits(mini_app, make_user):
    """htmx polls the job's partial every second while it runs, and stops once it is done."""
    app, page = mini_app, mini_app.page
    ida = make_user(5010, "Ida")
    deck = Deck.objects.create(owner=ida, name="Words")
    job = ImportJob.objects.create(
        owner=ida, deck=deck, status=ImportJob.Status.RUNNING, heartbeat=timezone.now(), total=3000
    )
    app.open(ida, path=f"/decks/{deck.pk}/import/", screen="#import-job")
    expect(page.locator("#import-job")).to_contain_text("0 of 3000 rows")

    ImportJob.objects.filter(pk=job.pk).update(done=1500, heartbeat=timezone.now())
    expect(page.locator(".import-progress")).to_have_attribute("value", "50")
    app.screenshot("day-import-progress")

    report = {"added": 2999, "updated": 0, "skipped": [[7, "the back is empty"]], "reviews": 0}
    report["skipped_count"] = 1
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE, done=3000, report=report
    )
    expect(page.locator("#import-job")).to_contain_text("2999 cards added")
    expect(page.locator("#import-job")).to_contain_text("Line 7: the back is empty")
    expect(page.locator("#import-job[hx-trigger]")).to_have_count(0)
    assert app.main_button()["text"] == "Back to the deck"
    app.screenshot("day-import-report")
