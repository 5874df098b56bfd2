"""The learner's time zone: the device's at first launch (static/js/app.js sends it with every
request), and a searchable list with each zone's current UTC offset."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import forms
from accounts.models import User
from conftest import htmx, sign_for

VALID = {
    "interface_language": "",
    "desired_retention": "0.9",
    "new_cards_per_day": "20",
    "reviews_per_day": "200",
    "reminder_hour": "19",
    "learn_ahead_minutes": "20",
}


def device(zone: str) -> dict:
    return htmx(HTTP_X_TIME_ZONE=zone)


def zone_of(user) -> str:
    return User.objects.get(pk=user.pk).time_zone


def test_a_learner_with_the_default_time_zone_gets_the_devices(as_alice, alice):
    assert as_alice.get("/", **device("Europe/Madrid")).status_code == 200
    assert zone_of(alice) == "Europe/Madrid"


def test_a_learners_first_request_already_uses_the_devices_time_zone(client, db):
    newcomer = {"id": 4242, "first_name": "Ana", "language_code": "es"}
    client.get("/", headers={"Authorization": f"tma {sign_for(newcomer)}"}, **device("Asia/Tokyo"))
    assert User.objects.get(telegram_id=4242).time_zone == "Asia/Tokyo"


@pytest.mark.parametrize(
    "zone",
    ["", "Mars/Olympus_Mons", "../../etc/passwd", "europe/madrid", "x" * 500, "UTC", "Etc/UTC"],
)
def test_a_device_time_zone_that_is_not_a_known_one_changes_nothing(as_alice, alice, zone):
    assert as_alice.get("/", **device(zone)).status_code == 200
    assert zone_of(alice) == "UTC"


def test_the_device_never_overrides_a_time_zone_of_the_learners(as_alice, alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    as_alice.get("/", **device("Europe/Madrid"))
    assert zone_of(alice) == "Asia/Tokyo"


def test_the_device_never_overrides_utc_chosen_in_the_settings(as_alice, alice):
    as_alice.get("/", **device("Europe/Madrid"))
    as_alice.post("/settings/", {**VALID, "time_zone": "UTC"}, **htmx())
    as_alice.get("/", **device("Europe/Madrid"))
    assert zone_of(alice) == "UTC"


def test_saving_other_settings_is_no_choice_of_time_zone(as_alice, alice):
    as_alice.post("/settings/", {**VALID, "time_zone": "UTC", "new_cards_per_day": "5"}, **htmx())
    as_alice.get("/", **device("Europe/Madrid"))
    assert zone_of(alice) == "Europe/Madrid"


def test_taking_the_devices_time_zone_costs_one_write_once(as_alice, alice):
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            as_alice.get("/settings/", **device("Europe/Madrid"))
        counts.append(len(queries))
    assert counts[0] == counts[1] + 1 == counts[2] + 1


# The list


def test_each_time_zone_shows_its_current_offset(as_alice):
    text = as_alice.get("/settings/", **htmx()).text
    assert '<option value="Europe/Moscow">Europe/Moscow (UTC+3)</option>' in text
    assert '<option value="Asia/Kolkata">Asia/Kolkata (UTC+5:30)</option>' in text
    assert '<option value="America/St_Johns">America/St Johns (UTC-' in text
    assert '<option value="UTC" selected>UTC (UTC+0)</option>' in text


def test_the_offset_follows_summer_time():
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert forms.utc_offset("Europe/Berlin", winter) == "UTC+1"
    assert forms.utc_offset("Europe/Berlin", summer) == "UTC+2"
    assert forms.utc_offset("America/St_Johns", winter) == "UTC-3:30"
    assert ("Europe/Berlin", "Europe/Berlin (UTC+2)") in forms.time_zone_choices(summer)
    assert ("Europe/Berlin", "Europe/Berlin (UTC+1)") in forms.time_zone_choices(winter)


def test_the_list_leaves_out_the_legacy_aliases(as_alice):
    text = as_alice.get("/settings/", **htmx()).text
    zones = text.split('id="id_time_zone"')[1].split("</select>")[0]
    assert 400 < zones.count("<option") < 500
    for alias in ("US/Eastern", "Etc/GMT+5", '"Japan"'):
        assert alias not in text


def test_a_learners_legacy_time_zone_stays_selectable(as_alice, alice):
    alice.time_zone = "US/Eastern"
    alice.save()
    text = as_alice.get("/settings/", **htmx()).text
    assert '<option value="US/Eastern" selected>US/Eastern' in text
    as_alice.post("/settings/", {**VALID, "time_zone": "US/Eastern"}, **htmx())
    assert zone_of(alice) == "US/Eastern"


def test_the_time_zone_list_has_a_search_box(as_alice):
    text = as_alice.get("/settings/", **htmx()).text
    assert 'data-filter-options="id_time_zone"' in text
    assert text.index('data-filter-options="id_time_zone"') < text.index('id="id_time_zone"')
