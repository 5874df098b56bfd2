"""Pictures and sounds in headless Chromium with Telegram's own script, under the real
Content-Security-Policy: a page without speechSynthesis (as Android's WebView) plays the
server's reading through an <audio> element."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from cards.media import speech
from cards.models import Deck, Phrase
from cards.tests import test_browser
from conftest import make_card

# The browser and the phone, as in test_browser.py (one Chromium per module).
browser = test_browser.browser
mini_app = test_browser.mini_app
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# As in Android's WebView: no speechSynthesis at all. And every CSP violation is recorded.
ANDROID_WEBVIEW = """
delete Window.prototype.speechSynthesis;
delete window.speechSynthesis;
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def picture() -> bytes:
    image = Image.new("RGB", (1200, 800), (250, 214, 120))
    draw = ImageDraw.Draw(image)
    draw.rectangle((350, 350, 850, 700), fill=(190, 60, 40))
    draw.polygon([(300, 360), (600, 120), (900, 360)], fill=(120, 40, 30))
    draw.rectangle((550, 520, 650, 700), fill=(80, 50, 30))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def house(make_user):
    ana = make_user(5101, "Ana")
    deck = Deck.objects.create(owner=ana, name="Spanish", front_lang="es", back_lang="en")
    card = make_card(deck=deck, front="la casa", back="the house", example="Mi casa es tu casa.")
    image = default_storage.save(f"users/{ana.pk}/images/house.jpg", ContentFile(picture()))
    Phrase.objects.filter(pk=card.phrase_id).update(
        image=image, speech=speech.synthesise("la casa", "es")
    )
    return ana, deck


def test_without_speech_synthesis_the_speaker_plays_the_servers_reading(mini_app, house):
    app, page = mini_app, mini_app.page
    ana, deck = house
    page.add_init_script(ANDROID_WEBVIEW)
    app.open(ana, path=f"/decks/{deck.pk}/review/")
    assert page.evaluate("'speechSynthesis' in window") is False
    expect(page.locator(".phrase-image")).to_be_visible()

    app.tap(".speak")

    page.wait_for_function(
        "() => { var a = document.querySelector('audio#player');"
        " return a && !a.paused && a.currentTime > 0; }"
    )
    assert "/media/?token=" in page.evaluate("document.querySelector('audio#player').src")
    natural = page.eval_on_selector(".phrase-image", "img => img.naturalWidth")
    assert natural == 1200
    assert page.evaluate("window.__violations") == []


def test_a_picture_card_fits_a_phone_and_shows_its_picture_with_the_answer(mini_app, house):
    app, page = mini_app, mini_app.page
    ana, deck = house
    page.add_init_script(ANDROID_WEBVIEW)
    Phrase.objects.filter(deck=deck).update(image_side="back")
    app.open(ana, path=f"/decks/{deck.pk}/review/")
    expect(page.locator(".phrase-image")).to_have_count(0)

    app.press_main_button()  # Show answer
    expect(page.locator(".phrase-image")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.phrase-image').complete")
    app.assert_fits()
    assert page.evaluate("window.__violations") == []
    app.screenshot("picture-card", full_page=False)


def test_a_picture_is_uploaded_from_the_edit_screen_on_a_phone(mini_app, house, tmp_path):
    app, page = mini_app, mini_app.page
    ana, deck = house
    phrase = Phrase.objects.get(deck=deck)
    Phrase.objects.filter(pk=phrase.pk).update(image="")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(picture())
    app.open(ana, path=f"/phrases/{phrase.pk}/edit/")
    expect(page.locator("[data-recorder]")).to_be_visible()  # Chromium has MediaRecorder
    app.assert_fits()

    page.set_input_files(f"#phrase{phrase.pk}-image_file", str(photo))
    page.check(f"#phrase{phrase.pk}-image_side_1")  # on the back
    app.press_main_button()  # Save

    expect(page.locator(f"#phrase-{phrase.pk}")).not_to_have_class("card-row editing")
    phrase.refresh_from_db()
    assert phrase.image.startswith(f"users/{ana.pk}/images/") and phrase.image_side == "back"
