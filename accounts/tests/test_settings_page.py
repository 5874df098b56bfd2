import re

import pytest

from accounts.models import User
from cards.models import Deck
from conftest import auth_headers, htmx

VALID = {
    "interface_language": "",
    "desired_retention": "0.85",
    "new_cards_per_day": "15",
    "reviews_per_day": "150",
    "learn_ahead_minutes": "20",
    "time_zone": "Europe/Berlin",
    "reminder_hour": "19",
}


def test_the_settings_page_is_a_full_page_and_a_partial(as_alice):
    page = as_alice.get("/settings/")
    assert page.status_code == 200
    assert b"<html" in page.content
    partial = as_alice.get("/settings/", **htmx())
    assert b"<html" not in partial.content
    assert b'data-tg-back="/"' in partial.content
    assert b'data-tg-main-button="Save" data-tg-main-click="#settings-save"' in partial.content


def test_the_settings_page_shows_the_current_settings(as_alice):
    text = as_alice.get("/settings/", **htmx()).text
    assert '<option value="" selected>As in Telegram</option>' in text
    assert '<option value="ru">Русский</option>' in text
    assert 'name="desired_retention" value="0.9"' in text
    assert 'name="new_cards_per_day" value="20"' in text
    assert '<option value="UTC" selected>UTC (UTC+0)</option>' in text


def test_the_settings_page_holds_the_reminders_and_the_data_export(as_alice):
    text = as_alice.get("/settings/", **htmx()).text
    assert 'id="reminders"' in text
    assert 'href="/settings/export/"' in text
    # One form, one Save: the reminders are inside the settings form.
    assert text.index('<form id="settings"') < text.index('id="reminders"') < text.index("</form>")


def test_the_time_zones_are_sorted(as_alice):
    text = as_alice.get("/settings/", **htmx()).text
    assert text.index('"Africa/Abidjan"') < text.index('"Europe/Berlin"') < text.index('"UTC"')


def test_a_plain_load_without_init_data_gets_the_shell(client, db):
    assert b"data-shell" in client.get("/settings/").content


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_settings_page_refuses_other_methods(as_alice, method):
    assert getattr(as_alice, method)("/settings/", **htmx()).status_code == 405


def test_saving_changes_the_settings(as_alice, alice):
    response = as_alice.post("/settings/", VALID, **htmx())
    assert response.status_code == 200
    assert b"Settings saved." in response.content
    alice.refresh_from_db()
    assert (
        alice.interface_language,
        alice.desired_retention,
        alice.new_cards_per_day,
        alice.reviews_per_day,
        alice.time_zone,
    ) == ("", 0.85, 15, 150, "Europe/Berlin")


def test_saving_changes_only_the_learners_own_settings(as_alice, alice, bob):
    as_alice.post("/settings/", {**VALID, "new_cards_per_day": "3"}, **htmx())
    bob.refresh_from_db()
    assert bob.new_cards_per_day == 20


def test_a_plain_post_redirects_to_the_settings(as_alice):
    response = as_alice.post("/settings/", VALID)
    assert (response.status_code, response["Location"]) == (302, "/settings/")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("desired_retention", "0.69", "greater than or equal to 0.7"),
        ("desired_retention", "0.98", "less than or equal to 0.97"),
        ("desired_retention", "lots", "Enter a number."),
        ("new_cards_per_day", "-1", "greater than or equal to 0"),
        ("new_cards_per_day", "10000", "less than or equal to 9999"),
        ("reviews_per_day", "100000", "less than or equal to 99999"),
    ],
)
def test_bad_settings_are_rejected_with_a_message(as_alice, alice, field, value, message):
    response = as_alice.post("/settings/", {**VALID, field: value}, **htmx())
    assert response.status_code == 200
    assert message in response.text
    if value != "lots":  # a number input's value must be a number (see below)
        assert f'value="{value}"' in response.text
    assert b"Settings saved." not in response.content
    alice.refresh_from_db()
    assert (alice.new_cards_per_day, alice.time_zone) == (20, "UTC")


@pytest.mark.parametrize("value", ["lots", "1,5", "0.9x", "", " "])
def test_a_rejected_number_comes_back_as_valid_html(as_alice, value):
    text = as_alice.post("/settings/", {**VALID, "desired_retention": value}, **htmx()).text
    field = text.split('name="desired_retention"')[1].split(">")[0]
    # HTML allows a number input no value but a floating-point number.
    assert re.search(r'value="(?!-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?")', field) is None
    assert "Settings saved." not in text


@pytest.mark.parametrize(
    ("field", "value"), [("time_zone", "Mars/Olympus_Mons"), ("interface_language", "de")]
)
def test_a_choice_from_outside_the_list_is_rejected(as_alice, alice, field, value):
    response = as_alice.post("/settings/", {**VALID, field: value}, **htmx())
    assert "Select a valid choice." in response.text
    assert 'name="new_cards_per_day" value="15"' in response.text
    alice.refresh_from_db()
    assert (alice.new_cards_per_day, alice.time_zone) == (20, "UTC")


@pytest.mark.parametrize("retention", ["0.7", "0.97"])
def test_the_retention_limits_are_allowed(as_alice, alice, retention):
    as_alice.post("/settings/", {**VALID, "desired_retention": retention}, **htmx())
    alice.refresh_from_db()
    assert alice.desired_retention == float(retention)


def test_a_new_interface_language_applies_to_the_answer_of_the_save(as_alice, alice):
    response = as_alice.post("/settings/", {**VALID, "interface_language": "ru"}, **htmx())
    assert "Настройки сохранены." in response.text
    assert response["Content-Language"] == "ru"
    alice.refresh_from_db()
    assert alice.language == "ru"


def test_a_rejected_form_stays_in_the_old_language(as_alice, alice):
    response = as_alice.post(
        "/settings/", {**VALID, "interface_language": "ru", "time_zone": "nowhere"}, **htmx()
    )
    assert "Select a valid choice." in response.text
    alice.refresh_from_db()
    assert alice.interface_language == ""


def test_a_russian_speaking_learner_sees_the_settings_in_russian(client, make_user, db):
    ivan = make_user(333, "Иван", language_code="ru")
    text = client.get("/settings/", headers=auth_headers(ivan), **htmx()).text
    assert "Язык интерфейса" in text
    assert "Как в Telegram" in text


def test_the_interface_language_setting_overrides_telegrams(client, make_user, db):
    ivan = make_user(333, "Иван", language_code="ru", interface_language="en")
    text = client.get("/settings/", headers=auth_headers(ivan), **htmx()).text
    assert "Interface language" in text


@pytest.mark.parametrize("count", [1, 50])
def test_the_settings_page_costs_the_same_queries_for_any_number_of_decks(
    as_alice, alice, count, django_assert_max_num_queries
):
    # bulk_create skips Deck.save, which gives a new deck the learner's limits.
    limits = {"new_cards_per_day": 20, "reviews_per_day": 200}
    Deck.objects.bulk_create(Deck(owner=alice, name=f"Deck {i}", **limits) for i in range(count))
    with django_assert_max_num_queries(1):
        as_alice.get("/settings/", **htmx())
    with django_assert_max_num_queries(2):
        as_alice.post("/settings/", VALID, **htmx())
    assert User.objects.get(pk=alice.pk).time_zone == "Europe/Berlin"


def test_the_learner_marks_weekdays_as_easy(as_alice, alice):
    as_alice.post("/settings/", {**VALID, "easy_days": ["5", "6"]}, **htmx())
    alice.refresh_from_db()
    assert alice.easy_days == [5, 6]
    text = as_alice.get("/settings/", **htmx()).text
    assert re.search(r'value="6"[^>]*checked', text)
    as_alice.post("/settings/", VALID, **htmx())
    alice.refresh_from_db()
    assert alice.easy_days == []


def test_a_weekday_that_does_not_exist_is_a_form_error(as_alice, alice):
    response = as_alice.post("/settings/", {**VALID, "easy_days": ["7"]}, **htmx())
    assert response.status_code == 200
    assert "errorlist" in response.text
    alice.refresh_from_db()
    assert alice.easy_days == []
