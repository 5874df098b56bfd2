"""The Mini App in headless Chromium, opened exactly as a Telegram client opens it.

Telegram's own telegram-web-app.js (scripts/fetch-telegram-js.sh puts it in .cache/; it is never
committed) is served in place of the CDN. `window.TelegramWebviewProxy` records what the app asks
of Telegram, and the client's button presses are sent back through Telegram.WebView.receiveEvent,
as Telegram's Android client does. Screenshots go to test-artifacts/screenshots/.
"""

import json
import os
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation
from playwright.sync_api import expect, sync_playwright

from accounts.models import User
from bot.tests.conftest import telegram  # noqa: F401 (the local Bot API server, a fixture)
from cards.models import Card, Deck, Direction, ImportJob, Phrase, ReviewLog
from cards.sharing import deck_share
from cards.tests.simulated_learner import FORGETFUL, give_history
from conftest import make_card, sign_for

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

    def open(
        self,
        user,
        *,
        theme=DAY,
        path="/",
        init_data=None,
        screen="[data-tg-back], .home",
        version="8.0",
    ):
        """Open the app as Telegram's Android client (of that Bot API version) does, for a User
        or Telegram's user dict (or with the given initData), and wait for a `screen` in #app."""
        init_data = quote(init_data or sign_for(user), safe="")
        fragment = (
            f"tgWebAppData={init_data}&tgWebAppVersion={version}&tgWebAppPlatform=android"
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

    def fill(self, selector, value):
        """Type into a field once the last swap has settled: htmx focuses a new [autofocus]
        field when it settles, and Playwright's fill focuses the field, then types in a
        second step, so the focus moving between the two sends the text to the other field
        (a 20 ms window that a busy machine hit once)."""
        self.idle()
        self.page.fill(selector, value)

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

    def screenshot(self, name: str, *, full_page=True):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


@pytest.fixture
def mini_app(browser, live_server, request):
    """The app on a phone whose time zone is UTC, or another one by indirect parametrization."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        has_touch=True,
        timezone_id=getattr(request, "param", "UTC"),
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
        make_card(deck=deck, front=front, back=f"{front} (back)", example="An example.")
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
    app.fill("#id_name", "Spanish")
    page.select_option("#id_front_lang", "es")
    page.select_option("#id_back_lang", "en")
    expect(page.locator("#id_directions_1")).to_be_checked()  # production, by default
    page.uncheck("#id_directions_1")  # this learner only recognises, one card a phrase
    app.press_main_button()  # Save
    expect(page.locator("h1")).to_have_text("Spanish")
    for front, back in [("hola", "hello"), ("gracias", "thank you"), ("adiós", "goodbye")]:
        app.fill("#add-front", front)
        app.fill("#add-back", back)
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
    # Headless Chromium has no voices, but the server may read the phrase: the speaker shows.
    expect(page.locator(".speak")).to_be_visible()
    app.assert_fits()
    app.screenshot("day-review-question")

    studied = [
        ("3 cards left", "hola", 4),
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

    # "Again" brings adiós back in a minute: within the learn-ahead window, the session goes on.
    expect(page.locator("#review-front")).to_have_text("adiós")
    expect(page.locator(".review-left")).to_have_text("1 card left")
    app.assert_fits()
    app.screenshot("day-review-learn-ahead")
    app.tap("[data-review-undo]")
    expect(page.locator("#review-front")).to_have_text("adiós")
    expect(page.locator(".review-left")).to_have_text("1 card left")
    assert app.main_button()["text"] == "Show answer"
    assert ReviewLog.objects.count() == 2
    app.key("Space")
    app.tap('[data-review-grade="3"]')
    # Good: back in ten minutes, still within the window.
    expect(page.locator("#review-front")).to_have_text("adiós")
    app.key("Space")
    app.tap('[data-review-grade="4"]')

    summary = page.locator("[data-review-summary]")
    expect(summary).to_contain_text("You reviewed 4 cards.")
    expect(summary).not_to_contain_text("0 minutes")
    ratings = page.locator(".review-ratings dd").all_inner_texts()
    assert ratings == ["0", "0", "1", "3"]
    assert {"type": "notification", "notification_type": "success"} in app.haptics()
    assert app.main_button()["text"] == "Done"
    app.assert_fits()
    app.screenshot("day-summary")
    logs = ReviewLog.objects.order_by("id")
    assert [log.rating for log in logs] == [4, 4, 3, 4]
    assert all(0 < log.duration_ms <= 600_000 for log in logs)

    app.press_back_button()
    expect(page.locator("h1")).to_have_text("Hello, Nina!")
    assert not app.back_button_visible()
    assert app.events("web_app_setup_swipe_behavior")[-1]["data"] == {"allow_vertical_swipe": True}
    expect(page.locator(".glance div").nth(2)).to_contain_text("4")  # reviewed today
    expect(page.locator(".deck-row .count.new")).to_have_text("0 new")
    app.assert_fits()
    app.screenshot("day-home")

    app.tap("nav.links >> text=Settings")
    expect(page.locator("h1")).to_have_text("Settings")
    app.assert_fits()
    app.screenshot("day-settings")


def test_a_deck_has_its_own_limits_and_the_learner_may_study_more(mini_app, make_user):
    app, page = mini_app, mini_app.page
    learner = make_user(5010, "Lena")
    deck = seed_deck(learner, "Italian", ["ciao", "grazie", "prego", "scusi"])
    app.open(learner, path=f"/decks/{deck.pk}/edit/")
    expect(page.locator("#deck-limits legend")).to_have_text("Daily limits")
    expect(page.locator("#id_new_cards_per_day")).to_have_value("20")
    app.fill("#id_new_cards_per_day", "1")
    app.assert_fits()
    page.locator("#deck-limits").scroll_into_view_if_needed()
    app.screenshot("day-deck-limits")
    app.press_main_button()  # Save
    expect(page.locator(".count.new")).to_have_text("1 new")

    app.press_main_button()  # Study
    expect(page.locator(".review-left")).to_have_text("1 card left")
    app.key("Space")
    app.tap('[data-review-grade="4"]')
    summary = page.locator("[data-review-summary]")
    expect(summary).to_contain_text("You have reached today's limit.")
    app.fill(".study-more input[name=new]", "2")
    app.assert_fits()
    app.screenshot("day-summary-study-more")
    app.tap(".study-more button >> text=Study")
    expect(page.locator(".review-left")).to_have_text("2 cards left")
    deck.refresh_from_db()
    assert deck.extra_new == 2


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

    assert app.main_button()["text"] == "Учить"
    app.press_main_button()
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
    app.tap('[data-review-grade="4"]')  # Easy: out of the learn-ahead window
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
    expect(page.locator("h1")).to_have_text("Настройки")
    assert app.main_button()["text"] == "Сохранить"
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
    app.key("2")  # Hard: back within the learn-ahead window
    expect(page.locator("#review-front")).to_have_text("merci")
    app.key("Space")
    app.key("4")
    expect(page.locator("[data-review-summary]")).to_contain_text("You reviewed 3 cards.")
    assert sorted(ReviewLog.objects.values_list("rating", flat=True)) == [2, 4, 4]


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


def test_the_speaker_uses_the_devices_voice_where_it_has_one_and_else_says_why(mini_app, make_user):
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
    app.tap(".speak")  # no German voice here, and the server's reading is not made yet
    expect(page.locator("#flash")).to_have_text("No sound yet: it is being prepared.")
    assert page.evaluate("window.__spoken") == []


@pytest.mark.parametrize("mini_app", ["Asia/Tokyo"], indirect=True)
def test_the_first_launch_takes_the_devices_time_zone_and_the_list_is_searchable(mini_app):
    app, page = mini_app, mini_app.page
    app.open({"id": 5010, "first_name": "Yui", "language_code": "en"})
    assert User.objects.get(telegram_id=5010).time_zone == "Asia/Tokyo"

    app.tap("nav.links >> text=Settings")
    zones = page.locator("#id_time_zone")
    expect(zones).to_have_value("Asia/Tokyo")
    expect(zones.locator("option:checked")).to_have_text("Asia/Tokyo (UTC+9)")
    app.fill("[data-filter-options]", "kolkata")
    expect(zones).to_have_value("Asia/Kolkata")
    expect(zones.locator("option:not([hidden])")).to_have_count(1)
    app.fill("[data-filter-options]", "america new")  # every word, "_" read as a space
    expect(zones.locator("option:not([hidden])")).to_contain_text(["America/New York"])
    app.fill("[data-filter-options]", "kolkata")
    app.press_main_button()  # Save
    expect(page.locator(".status")).to_have_text("Settings saved.")
    yui = User.objects.get(telegram_id=5010)
    assert (yui.time_zone, yui.time_zone_chosen) == ("Asia/Kolkata", True)

    app.fill("[data-filter-options]", "utc+8:45")  # the offset finds a zone too
    expect(zones).to_have_value("Australia/Eucla")
    app.assert_fits()
    app.screenshot("day-settings-time-zone")  # last: a screenshot leaves style="" behind


# Words that a line break cuts in two (a word is a run of non-spaces), outside the charts.
BROKEN_WORDS = """root => {
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("svg")) continue;
    for (const match of node.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def test_a_phone_reads_every_figure_of_the_statistics_in_russian(mini_app, make_user):
    app, page = mini_app, mini_app.page
    lena = make_user(5012, "Лена", language_code="ru")
    deck = seed_deck(lena, "Испанский", [f"слово {i}" for i in range(50)])
    now = timezone.now()
    cards = list(deck.cards.all())
    for days_ago, card in enumerate(cards[:40]):
        first = now - timedelta(days=days_ago % 20 + 1)
        card.review(3, learner=lena, now=first, duration_ms=40_000)
    for card in cards[:6]:
        card.review(3, learner=lena, now=now - timedelta(hours=12), duration_ms=30_000)
        card.review(3, learner=lena, now=now, duration_ms=30_000)  # a card already learned
    Card.objects.filter(pk__in=[card.pk for card in cards[40:42]]).update(suspended=True)

    app.open(lena, path="/stats/")
    stats = page.locator("#app .stats")
    states = ["8 новых", "34 изучаемые", "6 на повторении", "2 приостановленные"]
    expect(stats.locator(".state-counts li")).to_have_text(states)
    expect(stats).to_contain_text("Из 6 повторений уже выученных карточек")
    assert page.evaluate(BROKEN_WORDS, stats.element_handle()) == []
    app.assert_fits()
    # The heatmap at its natural size: month labels a phone can read, today's end in view.
    label = page.locator(".chart-label").first.bounding_box()
    assert label["height"] >= 10
    today = page.locator(".heatmap rect").last.bounding_box()
    assert 0 <= today["x"] <= 360 - today["width"]

    app.tap("summary >> text=Карточки к повторению по дням")
    expect(page.locator("details[open] .figures")).to_be_visible()
    first_day = page.locator("details[open] .figures").locator("tbody tr").first
    with translation.override("ru"):
        today_in_russian = formats.date_format(timezone.localdate(), "j E")  # "1 декабря"
    expect(first_day).to_contain_text(today_in_russian)
    assert page.evaluate(BROKEN_WORDS, stats.element_handle()) == []
    app.assert_fits()
    app.screenshot("day-stats")
    # For the README: the first screen, and the forecast with its figures.
    page.evaluate("window.scrollTo(0, 0)")
    app.screenshot("day-stats-top", full_page=False)
    forecast = page.locator("details[open] .figures")
    forecast.evaluate("table => table.closest('.box').scrollIntoView()")
    app.screenshot("day-stats-figures", full_page=False)


def test_a_front_already_in_the_deck_is_added_only_on_add_anyway(mini_app, make_user):
    app, page = mini_app, mini_app.page
    ana = make_user(5014, "Ana")
    deck = seed_deck(ana, "Spanish", ["hola"])
    app.open(ana, path=f"/decks/{deck.pk}/")
    app.fill("#add-front", "Hola")
    app.fill("#add-back", "hi")
    app.tap("#card-add button[type=submit]")
    expect(page.locator("#card-add .notice")).to_contain_text("This deck already has this front:")
    assert deck.phrases.count() == 1
    expect(page.locator("#add-front")).to_have_value("Hola")  # nothing typed is lost
    app.tap("#card-add button[name=duplicate]")
    expect(page.locator("#card-add .status")).to_have_text("Added “Hola”.")
    assert deck.phrases.count() == 2
    app.assert_fits()


def test_a_phone_previews_an_import_as_cards_and_says_what_it_will_skip(mini_app, make_user):
    app, page = mini_app, mini_app.page
    olga = make_user(5013, "Ольга", language_code="ru")
    deck = seed_deck(olga, "Испанский", ["hola"])
    app.open(olga, path=f"/decks/{deck.pk}/import/")
    rows = [
        ("hola", "привет", "", ""),
        (
            "¿Dónde está la estación de ferrocarril?",
            "Где находится железнодорожный вокзал?",
            "",
            "",
        ),
        ("gracias", "спасибо", "Muchas gracias, amigo.", "вежливость"),
        ("perro", "", "", ""),
    ]
    app.fill("#import-text", "\n".join("\t".join(row) for row in rows))
    page.dispatch_event("#import-text", "change")
    cards = page.locator(".import-row")
    expect(cards).to_have_count(4)
    expect(page.locator(".import-preview")).to_contain_text("Формат: Текст с разделителями")
    expect(page.locator(".import-skips")).to_contain_text("2 строки будут пропущены")
    expect(page.locator(".import-skips")).to_contain_text("Уже есть в колоде: 1 строка (строка 1)")
    # A card each: the front, an arrow and the back read on together, whole words only.
    second = cards.nth(1)
    assert second.evaluate("row => getComputedStyle(row).display") == "block"
    front, back = second.locator(".import-front"), second.locator(".import-back")
    assert front.evaluate("cell => getComputedStyle(cell, '::after').content") == '" → "'
    assert back.bounding_box()["x"] < front.bounding_box()["x"] + front.bounding_box()["width"]
    expect(cards.nth(2).locator(".import-extra").first).to_be_hidden()  # empty: unmapped
    assert page.evaluate(BROKEN_WORDS, page.locator("#import-screen").element_handle()) == []
    app.assert_fits()
    app.screenshot("day-import-preview")


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

    # A client before Bot API 8.0 has no shareMessage: the share sheet's link.
    app.open(gus, path=f"/decks/{deck.pk}/share/", version="7.10")
    app.tap("#share button[type=submit]")  # Create a share link
    app.forget_events()
    app.tap("[data-tg-share-url]")
    (opened,) = app.events("web_app_open_tg_link")
    assert opened["data"]["path_full"].startswith("/share/url?url=")
    assert {"type": "impact", "impact_style": "light"} in app.haptics()

    app.open(gus, path=f"/decks/{deck.pk}/export/")
    # Telegram downloads only over HTTPS; the test server speaks HTTP.
    page.eval_on_selector("a[data-tg-download]", "a => { a.href = 'https://example.com/x.apkg'; }")
    app.tap("a[data-tg-download]")
    (download,) = app.events("web_app_request_file_download")
    assert download["data"] == {"url": "https://example.com/x.apkg", "file_name": "Spanish.apkg"}

    app.open(gus, path=f"/decks/{deck.pk}/")
    app.tap("#card-list li:first-child button.danger")
    (popup,) = app.events("web_app_open_popup")
    assert popup["data"]["message"] == (
        "Delete the phrase “gracias” with all its cards and their history?"
    )
    page.evaluate("window.Telegram.WebView.receiveEvent('popup_closed', {button_id: 'ok'})")
    expect(page.locator("#card-list li")).to_have_count(1)

    app.open(gus, path="/settings/")
    page.check("[data-tg-request-write-access]")
    assert app.events("web_app_request_write_access")
    page.evaluate(
        "window.Telegram.WebView.receiveEvent('write_access_requested', {status: 'cancelled'})"
    )
    expect(page.locator("[data-tg-request-write-access]")).not_to_be_checked()


def test_from_bot_api_8_the_share_screen_sends_a_message_the_bot_prepared(
    mini_app,
    make_user,
    telegram,  # noqa: F811
):
    """shareMessage with the id savePreparedInlineMessage gave; the link if the bot cannot."""
    app, page = mini_app, mini_app.page
    gus = make_user(5012, "Gus")
    deck = seed_deck(gus, "Spanish", ["hola"])
    token = deck_share(deck=deck).token

    app.open(gus, path=f"/decks/{deck.pk}/share/")
    app.forget_events()
    app.tap("[data-tg-share-url]")
    page.wait_for_function(
        "() => window.__telegramEvents.some(e => e.type === 'web_app_send_prepared_message')"
    )

    [prepared] = telegram.calls("savePreparedInlineMessage")
    assert prepared["user_id"] == 5012
    [[button]] = prepared["result"]["reply_markup"]["inline_keyboard"]
    assert button["url"] == f"https://t.me/PhraseWeaverBot/study?startapp=deck_{token}"
    (sent,) = app.events("web_app_send_prepared_message")
    assert sent["data"] == {"id": "prepared1001"}  # the fake Bot API's first prepared message
    assert app.events("web_app_open_tg_link") == []

    telegram.fail(500, method="savePreparedInlineMessage")
    page.evaluate("window.Telegram.WebView.receiveEvent('prepared_message_sent')")
    app.forget_events()
    app.tap("[data-tg-share-url]")
    page.wait_for_function(
        "() => window.__telegramEvents.some(e => e.type === 'web_app_open_tg_link')"
    )
    (opened,) = app.events("web_app_open_tg_link")
    assert opened["data"]["path_full"].startswith("/share/url?url=")
    app.expect_errors("502")


class HeldRequests:
    """A slow connection, deterministically: the first request to `url` waits until the test
    releases it; the others go through."""

    def __init__(self, page, url):
        self.page = page
        self.held = []
        self.passed = 0
        page.route(url, self._hold)

    def _hold(self, route):
        if self.held or self.passed:
            self.passed += 1
            route.continue_()
        else:
            self.held.append(route)

    def wait(self):
        """Until the request has left the page (Playwright calls back between our calls)."""
        while not self.held:
            self.page.wait_for_timeout(10)

    def release(self):
        self.passed += 1
        self.held.pop().continue_()


def test_a_card_typed_while_the_previous_one_is_being_added_is_saved_too(mini_app, make_user):
    app, page = mini_app, mini_app.page
    ana = make_user(5010, "Ana")
    deck = seed_deck(ana, "Spanish", [])
    app.open(ana, path=f"/decks/{deck.pk}/")
    slow = HeldRequests(page, f"**/decks/{deck.pk}/phrases/add/")
    app.fill("#add-front", "uno")
    app.fill("#add-back", "one")
    app.tap("#card-add button[type=submit]")
    slow.wait()

    # While "uno" is on its way: the next card, Add, and a start on the one after.
    page.fill("#add-front", "dos")
    page.fill("#add-back", "two")
    page.click("#card-add button[type=submit]")
    page.fill("#add-front", "tres")
    slow.release()

    expect(page.locator("#card-list .front")).to_have_text(["dos", "uno"])
    app.idle()
    assert list(deck.phrases.order_by("id").values_list("front", "back")) == [
        ("uno", "one"),
        ("dos", "two"),
    ]
    expect(page.locator("#card-add .status")).to_have_text("Added “dos”.")
    expect(page.locator("#add-front")).to_have_value("tres")  # typed while a card was sent
    expect(page.locator("#add-back")).to_have_value("")  # sent with "dos", and saved


def change_every_part_of_the_settings(page):
    page.check("#id_reminders_enabled")
    page.select_option("#id_reminder_hour", "8")
    page.fill("#id_new_cards_per_day", "7")


def assert_every_part_of_the_settings_saved(page, learner):
    expect(page.locator("#app .status")).to_have_text("Settings saved.")
    expect(page.locator("#id_reminders_enabled")).to_be_checked()
    expect(page.locator("#id_reminder_hour")).to_have_value("8")
    expect(page.locator("#id_new_cards_per_day")).to_have_value("7")
    learner.refresh_from_db()
    assert (learner.reminders_enabled, learner.reminder_hour, learner.new_cards_per_day) == (
        True,
        8,
        7,
    )


def test_the_main_button_saves_every_setting_on_the_screen(mini_app, make_user):
    app, page = mini_app, mini_app.page
    rui = make_user(5011, "Rui", bot_can_write=True)
    app.open(rui, path="/settings/")
    change_every_part_of_the_settings(page)
    app.press_main_button()
    assert_every_part_of_the_settings_saved(page, rui)


def test_telegrams_buttons_and_closing_keep_an_unsaved_edit(mini_app, make_user):
    app, page = mini_app, mini_app.page
    ida = make_user(5012, "Ida")
    deck = seed_deck(ida, "Spanish", ["hola"])
    card = deck.cards.get()
    app.open(ida, path=f"/decks/{deck.pk}/")
    assert app.main_button()["text"] == "Study"
    app.tap(f"#phrase-{card.phrase_id} >> text=Edit")
    app.fill(f"#phrase{card.phrase_id}-front", "hola!")

    # Closing asks first; the MainButton saves the edit instead of studying.
    assert app.events("web_app_setup_closing_behavior")[-1]["data"] == {"need_confirmation": True}
    assert app.main_button()["text"] == "Save"
    # The BackButton asks first: "Cancel" stays on the edit.
    app.press_back_button()
    (popup,) = app.events("web_app_open_popup")
    assert popup["data"]["message"] == "Leave without saving your changes?"
    page.evaluate("window.Telegram.WebView.receiveEvent('popup_closed', {button_id: 'cancel'})")
    expect(page.locator(f"#phrase{card.phrase_id}-front")).to_have_value("hola!")

    app.press_main_button()
    expect(page.locator(f"#phrase-{card.phrase_id} .front")).to_have_text("hola!")
    card.phrase.refresh_from_db()
    assert card.phrase.front == "hola!"
    assert app.events("web_app_setup_closing_behavior")[-1]["data"] == {"need_confirmation": False}
    assert app.main_button()["text"] == "Study"
    app.forget_events()
    app.press_back_button()  # nothing unsaved: no question
    expect(page.locator("h1")).to_have_text("Hello, Ida!")
    assert app.events("web_app_open_popup") == []


def test_leaving_an_unsaved_form_by_the_back_button_asks_and_goes_on_ok(mini_app, make_user):
    app, page = mini_app, mini_app.page
    ugo = make_user(5013, "Ugo")
    app.open(ugo, path="/settings/")
    app.fill("#id_new_cards_per_day", "3")
    assert app.main_button()["text"] == "Save"  # the settings' own MainButton saves the form
    app.press_back_button()
    assert app.events("web_app_open_popup")
    page.evaluate("window.Telegram.WebView.receiveEvent('popup_closed', {button_id: 'ok'})")
    expect(page.locator("h1")).to_have_text("Hello, Ugo!")
    assert app.events("web_app_setup_closing_behavior")[-1]["data"] == {"need_confirmation": False}
    ugo.refresh_from_db()
    assert ugo.new_cards_per_day == 20


def test_a_new_screen_and_a_new_page_of_cards_start_at_their_top(mini_app, make_user):
    app, page = mini_app, mini_app.page
    max_ = make_user(5014, "Max")
    for number in range(12):
        seed_deck(max_, f"Deck {number:02d}", [])
    deck = seed_deck(max_, "Long", [f"phrase {number:02d}" for number in range(60)])
    app.open(max_)
    page.locator(f'.deck-row[href="/decks/{deck.pk}/"]').scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    app.tap(f'.deck-row[href="/decks/{deck.pk}/"]')
    expect(page.locator("h1")).to_have_text("Long")
    app.idle()
    assert page.evaluate("window.scrollY") == 0

    app.tap("a[rel=next]")  # at the bottom of the list
    expect(page.locator(".pager .hint")).to_have_text("Page 2 of 2")
    expect(page.locator("#card-list .front").first).to_have_text("phrase 09")
    expect(page.locator("#card-list .front").first).to_be_in_viewport()


def test_a_slow_request_shows_that_it_is_on_its_way(mini_app, make_user):
    app, page = mini_app, mini_app.page
    zoe = make_user(5015, "Zoe")
    app.open(zoe)
    progress = page.locator("#progress")
    expect(progress).to_be_hidden()
    slow = HeldRequests(page, "**/settings/")
    page.click('nav.links a[href="/settings/"]')
    slow.wait()
    expect(progress).to_be_visible()  # after a second: htmx-request on #progress, and CSS
    slow.release()
    expect(page.locator("h1")).to_have_text("Settings")
    expect(progress).to_be_hidden()


@pytest.fixture
def plain_browser(browser, live_server, settings):
    """A plain browser (no Telegram client around the page) on `make run`'s DEBUG."""
    settings.DEBUG = True
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(viewport={"width": 360, "height": 740})
    context.route(
        TELEGRAM_JS_URL,
        lambda route: route.fulfill(path=TELEGRAM_JS, content_type="text/javascript"),
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_a_link_opened_in_a_plain_browser_lands_on_that_screen_with_a_way_back(
    plain_browser, live_server, make_user
):
    page = plain_browser
    demo = make_user(1000001, "Demo")
    deck = seed_deck(demo, "Spanish", ["hola"])
    page.goto(f"{live_server.url}/decks/{deck.pk}/")
    page.click("text=Continue as a demo user")
    expect(page.locator("#app h1")).to_have_text("Spanish")
    assert page.evaluate("location.pathname") == f"/decks/{deck.pk}/"

    page.click("#back")
    expect(page.locator("#app h1")).to_have_text("Hello, Demo!")
    expect(page.locator("#back")).to_be_hidden()  # home is where the way back ends


def test_inside_telegram_the_way_back_is_telegrams_back_button(mini_app, make_user):
    app, page = mini_app, mini_app.page
    eli = make_user(5016, "Eli")
    deck = seed_deck(eli, "Spanish", ["hola"])
    app.open(eli, path=f"/decks/{deck.pk}/")
    assert app.back_button_visible()
    expect(page.locator("#back")).to_be_hidden()


def direction(page, selector) -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).direction")


def test_right_to_left_text_runs_right_to_left_wherever_the_learner_wrote_it(mini_app, make_user):
    app, page = mini_app, mini_app.page
    noa = make_user(5017, "Noa")
    deck = seed_deck(noa, "עברית", [])
    make_card(deck=deck, front="שלום", back="hello")
    app.open(noa)
    assert direction(page, ".deck-row .row-main") == "rtl"
    app.tap(".deck-row")
    expect(page.locator("h1")).to_have_text("עברית")
    assert direction(page, "h1") == "rtl"
    assert direction(page, "#card-list .front") == "rtl"
    assert direction(page, "#card-list .back") == "ltr"
    app.fill("#add-front", "مرحبا")
    assert direction(page, "#add-front") == "rtl"
    assert direction(page, "#add-back") == "ltr"
    assert deck.cards.count() == 1


def test_a_fronts_line_breaks_are_kept_on_the_review_screen(mini_app, make_user):
    app, page = mini_app, mini_app.page
    pia = make_user(5018, "Pia")
    deck = seed_deck(pia, "Poems", [])
    make_card(deck=deck, front="first line\nsecond line", back="b")
    app.open(pia, path="/review/")
    assert page.locator("#review-front").inner_text() == "first line\nsecond line"


def test_inside_telegram_the_main_button_is_not_repeated_in_the_page(mini_app, make_user):
    app, page = mini_app, mini_app.page
    ted = make_user(5019, "Ted")
    deck = seed_deck(ted, "Spanish", ["hola"])
    app.open(ted, path=f"/decks/{deck.pk}/")
    assert app.main_button()["text"] == "Study"
    expect(page.locator("#study-deck")).to_be_hidden()
    app.press_main_button()
    expect(page.locator("#review-front")).to_have_text("hola")
    assert app.main_button()["text"] == "Show answer"
    expect(page.locator("#show-answer")).to_be_hidden()
    app.key("Space")  # the keyboard still reaches it
    expect(page.locator("[data-review-answer]")).to_be_visible()
    app.tap('[data-review-grade="4"]')  # Easy: no learning step left to learn ahead
    expect(page.locator("#review-done")).to_have_count(1)
    assert app.main_button()["text"] == "Done"
    expect(page.locator("#review-done")).to_be_hidden()


def test_in_a_plain_browser_the_pages_own_buttons_stay(plain_browser, live_server, make_user):
    page = plain_browser
    demo = make_user(1000001, "Demo")
    deck = seed_deck(demo, "Spanish", ["hola"])
    page.goto(f"{live_server.url}/decks/{deck.pk}/")
    page.click("text=Continue as a demo user")
    expect(page.locator("#study-deck")).to_be_visible()


def luminance(rgb_text: str) -> float:
    channels = [int(part) / 255 for part in rgb_text[rgb_text.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


# The colour a text shows in: its colour through the opacity of it and its ancestors, on white.
SEEN_COLOR = """e => {
  let opacity = 1;
  for (let n = e; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
  const [r, g, b] = getComputedStyle(e).color.match(/\\d+/g).map(Number);
  const seen = c => Math.round(c * opacity + 255 * (1 - opacity));
  return `rgb(${seen(r)}, ${seen(g)}, ${seen(b)})`;
}"""


def test_a_suspended_card_stays_readable(mini_app, make_user):
    app, page = mini_app, mini_app.page
    sam = make_user(5020, "Sam")
    deck = seed_deck(sam, "Spanish", ["hola", "adiós"])
    deck.cards.filter(phrase__front="hola").update(suspended=True)
    app.open(sam, path=f"/decks/{deck.pk}/")
    for part in (".front", ".back", ".example"):
        suspended = page.eval_on_selector(f".card-row.suspended {part}", SEEN_COLOR)
        active = page.eval_on_selector(f".card-row:not(.suspended) {part}", SEEN_COLOR)
        assert suspended == active
    contrast = (1 + 0.05) / (luminance(color(page, ".card-row.suspended .front", "color")) + 0.05)
    assert contrast >= 4.5
    expect(page.locator(".card-row.suspended .badge")).to_have_text("Suspended")


def test_under_make_run_a_link_that_no_longer_works_shows_our_page_inside_the_app(
    mini_app, settings
):
    settings.DEBUG = True  # django-htmx's debug script is on the page
    app, page = mini_app, mini_app.page
    gus = {"id": 5021, "first_name": "Gus", "language_code": "en"}
    app.open(gus, path="/shared/no-such-token/", screen=".shared-missing")
    expect(page.locator("#app .shared-missing")).to_contain_text("This link does not work")
    assert app.back_button_visible()
    app.expect_errors("404")


def test_the_pages_save_button_saves_every_setting_on_the_screen(
    plain_browser, live_server, make_user
):
    page = plain_browser
    demo = make_user(1000001, "Demo", bot_can_write=True)
    page.goto(f"{live_server.url}/settings/")
    page.click("text=Continue as a demo user")
    expect(page.locator("#app h1")).to_have_text("Settings")
    change_every_part_of_the_settings(page)
    page.click("#settings-save")
    assert_every_part_of_the_settings_saved(page, demo)


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
    expect(page.locator("#import-job")).to_contain_text("2999 phrases added")
    expect(page.locator("#import-job")).to_contain_text("Line 7: the back is empty")
    expect(page.locator("#import-job[hx-trigger]")).to_have_count(0)
    assert app.main_button()["text"] == "Back to the deck"
    app.screenshot("day-import-report")


DOCS_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def test_a_production_card_asks_for_the_phrase_from_its_meaning(mini_app, make_user):
    app, page = mini_app, mini_app.page
    learner = make_user(5020, "Pablo")
    deck = Deck.objects.create(owner=learner, name="Spanish", front_lang="es", back_lang="en")
    phrase = Phrase(deck=deck, front="¿Dónde está la estación?", back="Where is the station?")
    phrase.example = "Perdone, ¿dónde está la estación de tren?"
    phrase.add_with_cards([Direction.PRODUCTION])
    app.open(learner, path="/review/")
    expect(page.locator("#review-front")).to_have_text("Where is the station?")
    expect(page.locator("[data-review-question]")).not_to_contain_text("¿Dónde")
    app.key("Space")
    answer = page.locator("[data-review-answer]")
    expect(answer.locator("#review-answer")).to_have_text("¿Dónde está la estación?")
    app.assert_fits()
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS_SCREENSHOTS / "production-card.png", full_page=True)
    app.key("4")
    expect(page.locator("[data-review-summary]")).to_contain_text("You reviewed 1 card.")
    assert ReviewLog.objects.get().card.direction == Direction.PRODUCTION


def typed_card(owner, name, front, back, **deck_fields):
    deck = Deck.objects.create(owner=owner, name=name, typed_answers=True, **deck_fields)
    Phrase(deck=deck, front=front, back=back).add_with_cards([Direction.PRODUCTION])
    return deck


def test_a_typed_answer_shows_its_accents_and_pre_selects_hard(mini_app, make_user):
    app, page = mini_app, mini_app.page
    learner = make_user(5021, "Lola")
    typed_card(learner, "Spanish", "¿Dónde está?", "Where is it?", front_lang="es", back_lang="en")
    app.open(learner, path="/review/")
    expect(page.locator("#review-front")).to_have_text("Where is it?")
    field = page.locator("input[name=typed]")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("lang", "es")
    assert app.main_button()["text"] == "Check"
    page.keyboard.type("Donde esta")
    page.keyboard.press("Enter")  # the keyboard's "done"
    check = page.locator("[data-typed-check]")
    expect(check).to_have_attribute("data-typed-check", "2")
    expect(check.locator(".almost")).to_have_text(["o", "a", "ó", "á"])
    # Shown by a wavy line, not only by its colour.
    assert color(page, ".typed-line .almost", "textDecorationStyle") == "wavy"
    # Hard is pre-selected: ringed, focused, the MainButton's, and visible beside the others.
    hard = page.locator("[data-review-suggested]")
    expect(hard).to_have_attribute("data-review-grade", "2")
    expect(hard).to_be_focused()
    expect(hard).to_be_visible()
    assert color(page, "[data-review-suggested]", "outlineStyle") == "solid"
    assert app.main_button()["text"] == "Hard"
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"  # the input let go
    app.assert_fits()
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS_SCREENSHOTS / "typed-answer.png", full_page=True)
    app.key("Enter")
    # Graded Hard; a new card in learning comes back at once, nothing else being left.
    expect(page.locator("[data-review-undo]")).to_be_visible()
    expect(page.locator("input[name=typed]")).to_be_focused()
    assert ReviewLog.objects.get().rating == 2


# Bot API 9.1's hideKeyboard, as Telegram's script of that version defines it.
HIDE_KEYBOARD = """
Telegram.WebApp.hideKeyboard = function () {
  Telegram.WebView.postEvent("web_app_hide_keyboard");
};
"""


def test_an_arabic_answer_with_an_emoji_runs_right_to_left_and_closes_the_keyboard(
    mini_app, make_user
):
    app, page = mini_app, mini_app.page
    learner = make_user(5022, "Amal")
    typed_card(learner, "Arabic", "كِتَابٌ 👍🏽", "a book, thumbs up", front_lang="ar")
    app.open(learner, path="/review/", version="9.1")
    page.evaluate(HIDE_KEYBOARD)
    page.locator("input[name=typed]").fill("كتاب 👍")
    app.press_main_button()  # "Check"
    line = page.locator(".typed-line").last
    expect(line.locator(".almost")).to_have_text(["كِتَ", "بٌ", "👍🏽"])
    assert line.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert app.events("web_app_hide_keyboard")
    expect(page.locator("[data-review-suggested]")).to_have_attribute("data-review-grade", "2")
    app.tap('[data-review-grade="3"]')  # the learner knows better: Good
    expect(page.locator("[data-review-undo]")).to_be_visible()
    assert ReviewLog.objects.get().rating == 3


def test_a_phone_fits_its_learners_parameters_from_settings(mini_app, make_user):
    app, page = mini_app, mini_app.page
    pia = make_user(5031, "Pia")
    give_history(pia, FORGETFUL, cards=250, days=365, seed=1)
    app.open(pia, path="/settings/")
    box = page.locator("#app #parameters")
    expect(box).to_contain_text("FSRS's default parameters")

    app.tap("#parameters button[type=submit]")

    expect(box).to_contain_text("fitted to your own reviews")
    expect(box).to_contain_text("the new parameters predict your reviews better")
    page.click("#parameters summary")
    expect(page.locator("#parameters table.fits tbody tr")).to_have_count(1)
    app.assert_fits()
    pia.refresh_from_db()
    assert len(pia.fsrs_parameters) == 21


def studied_collection(learner, *, phrases=60, studied=40):
    """A deck of which `studied` cards were learned over the last weeks (timed reviews), six
    of them reviewed again today as cards already learned."""
    deck = seed_deck(learner, "Spanish", [f"palabra {i}" for i in range(phrases)])
    now = timezone.now()
    cards = list(deck.cards.all())
    for days_ago, card in enumerate(cards[:studied]):
        first = now - timedelta(days=days_ago % 20 + 2)
        card.review(3, learner=learner, now=first, duration_ms=9_000)
        card.review(3, learner=learner, now=first + timedelta(minutes=10), duration_ms=6_000)
    for index, card in enumerate(cards[:6]):
        card.review(1 if index == 0 else 3, learner=learner, now=now, duration_ms=12_000)
    return deck


def test_a_phone_weighs_desired_retentions_in_settings_at_night(mini_app, make_user):
    app, page = mini_app, mini_app.page
    omar = make_user(5041, "Omar")
    studied_collection(omar)
    app.open(omar, path="/settings/", theme=NIGHT)
    box = page.locator("#app #retention")
    expect(box).to_contain_text("Which retention suits you?")

    app.tap("#retention button")

    expect(box).to_contain_text("Suggested:")
    expect(box.locator("table tbody tr")).to_have_count(4)
    expect(box.locator("tr.current")).to_contain_text("90%")
    expect(box).to_contain_text("for your 60 cards")
    expect(box).to_contain_text("timed reviews took")
    expect(box.locator("svg rect.bar title").first).to_contain_text("80%:")
    assert color(page, "#retention rect.bar", "fill") == rgb(NIGHT["button_color"])
    app.assert_fits()
    # Saving the settings still saves them: the helper's button is not the form's default.
    app.fill("#id_desired_retention", "0.85")
    page.keyboard.press("Enter")
    expect(page.locator("#app")).to_contain_text("Settings saved.")
    omar.refresh_from_db()
    assert omar.desired_retention == 0.85
    expect(page.locator("#app #retention")).to_contain_text("has changed since")
    page.locator("#app #retention").evaluate("box => box.scrollIntoView()")
    app.screenshot("night-retention-helper", full_page=False)


def test_a_phone_reads_true_retention_and_the_memory_of_its_collection(mini_app, make_user):
    app, page = mini_app, mini_app.page
    uma = make_user(5042, "Uma")
    studied_collection(uma)
    app.open(uma, path="/stats/")
    stats = page.locator("#app .stats")
    table = stats.locator("table.true-retention")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator("tbody tr").first).to_contain_text("Today")
    expect(table.locator("tbody tr").first).to_contain_text("5 / 1")
    expect(table.locator("tbody tr").first).to_contain_text("5 passed, 1 failed")  # read aloud
    expect(stats).to_contain_text("estimated total knowledge")
    expect(stats).to_contain_text("averaged over your 40 reviewed cards")
    app.tap("summary >> text=Cards by stability")
    expect(stats.locator("details[open] table tbody tr").first).to_be_visible()
    assert page.evaluate(BROKEN_WORDS, stats.element_handle()) == []
    app.assert_fits()
    table.evaluate("table => table.closest('.box').scrollIntoView()")
    app.screenshot("day-stats-retention", full_page=False)
    stats.locator("h2", has_text="Stability").evaluate("h => h.closest('.box').scrollIntoView()")
    app.screenshot("day-stats-memory", full_page=False)
