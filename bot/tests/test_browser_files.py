"""The export screens' "Send to my Telegram chat" in headless Chromium with Telegram's own
script: offered where the client has no downloadFile (before Bot API 8.0) or its download
fails, never after the learner said no; the bot then sends the file (the local Bot API)."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cards.models import Deck
from cards.tests import test_browser
from conftest import make_card

# The browser and the phone, as in test_browser.py (one Chromium per module).
browser = test_browser.browser
mini_app = test_browser.mini_app
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def learner(make_user):
    return make_user(5101, "Lena", bot_can_write=True)


@pytest.fixture
def deck(learner):
    deck = Deck.objects.create(owner=learner, name="Spanish")
    make_card(deck=deck, front="hola", back="hello")
    return deck


def test_a_client_without_download_file_is_offered_the_file_in_its_chat(
    mini_app, telegram, learner, deck
):
    app, page = mini_app, mini_app.page
    app.open(learner, path=f"/decks/{deck.pk}/export/", version="7.10")

    expect(page.locator("#send-csv")).to_be_visible()
    expect(page.locator("#send-apkg")).to_be_visible()
    app.assert_fits()
    app.screenshot("export-send-offer")
    app.tap("#send-apkg button")

    expect(page.locator("#send-apkg")).to_have_text(
        "Sent: the file arrives in your chat with the bot in a moment."
    )
    [sent] = telegram.calls("sendDocument")
    assert sent["chat_id"] == str(learner.telegram_id)
    assert sent["document"].filename == "Spanish.apkg"
    assert app.events("web_app_request_file_download") == []


@pytest.mark.parametrize(("status", "offered"), [("failed", True), ("cancelled", False)])
def test_a_failed_download_is_offered_the_file_in_the_chat_but_a_refused_one_is_not(
    mini_app, telegram, learner, deck, status, offered
):
    app, page = mini_app, mini_app.page
    app.open(learner, path=f"/decks/{deck.pk}/export/", version="8.0")
    expect(page.locator("#send-csv")).to_be_hidden()
    # Telegram downloads only over HTTPS; the test server speaks HTTP.
    page.eval_on_selector("a[data-tg-send=send-csv]", "a => { a.href = 'https://example.com/x'; }")

    app.tap("a[data-tg-send=send-csv]")
    assert len(app.events("web_app_request_file_download")) == 1
    page.evaluate(
        "status => window.Telegram.WebView.receiveEvent('file_download_requested', {status})",
        status,
    )

    if offered:
        expect(page.locator("#send-csv")).to_be_visible()
    else:
        app.idle()
        expect(page.locator("#send-csv")).to_be_hidden()
    expect(page.locator("#send-apkg")).to_be_hidden()  # only beside the link that failed


def test_a_learner_the_bot_may_not_write_to_is_told_to_start_it(mini_app, telegram, learner, deck):
    User.objects.filter(pk=learner.pk).update(bot_can_write=False)
    app, page = mini_app, mini_app.page
    app.open(learner, path=f"/decks/{deck.pk}/export/", version="7.10")

    app.tap("#send-csv button")

    expect(page.locator("#send-csv")).to_contain_text("The bot may not write to you yet")
    assert telegram.requests == []
