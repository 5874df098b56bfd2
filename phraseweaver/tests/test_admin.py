from datetime import UTC, datetime

import pytest

from cards.models import Deck, ReviewLog
from cards.scheduling import Rating
from conftest import auth_headers, make_card, make_cards
from phraseweaver.proxy import client_ip


@pytest.fixture
def history(alice):
    deck = Deck.objects.create(owner=alice, name="Deck")
    card = make_card(deck=deck, front="hola", back="hello")
    card.review(Rating.GOOD, learner=alice, now=datetime(2026, 3, 1, tzinfo=UTC))
    return card


def test_staff_log_in_to_admin_with_a_username_and_password(client, staff):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staff", "password": "staff-password"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_learner_cannot_log_in_to_admin_without_a_password(client, alice):
    response = client.post("/admin/login/", {"username": alice.username, "password": ""})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/cards/deck/",
        "/admin/cards/card/",
        "/admin/cards/reviewlog/",
        "/admin/accounts/user/?q=Alice",
        "/admin/cards/card/?q=hola",
    ],
)
def test_admin_lists_render_for_staff(admin_client, history, url):
    response = admin_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 30])
def test_the_card_list_costs_the_same_queries_for_any_number_of_cards(
    admin_client, alice, count, django_assert_max_num_queries
):
    deck = Deck.objects.create(owner=alice, name="Deck")
    make_cards(deck, count)
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/cards/card/").status_code == 200


def test_review_logs_are_read_only_in_admin(admin_client, history):
    log = ReviewLog.objects.get()
    assert admin_client.get("/admin/cards/reviewlog/add/").status_code == 403
    page = admin_client.get(f"/admin/cards/reviewlog/{log.pk}/change/")
    assert page.status_code == 200
    assert b'name="rating"' not in page.content
    admin_client.post(f"/admin/cards/reviewlog/{log.pk}/delete/", {"post": "yes"})
    assert ReviewLog.objects.filter(pk=log.pk).exists()


# Password guessing: the admin login locks out after repeated failures, per user and per address


FAILURES = 5  # wrong passwords before a lockout (settings.AXES_FAILURE_LIMIT)


def admin_login(client, username, password, **meta):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **meta
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_repeated_wrong_passwords_lock_the_user_out_even_with_the_right_one(
    client, staff, settings
):
    statuses = [admin_login(client, "staff", "wrong").status_code for _ in range(FAILURES)]
    assert statuses == [200] * (FAILURES - 1) + [429]  # the form again, then the lockout

    response = admin_login(client, "staff", "staff-password")

    assert response.status_code == 429
    assert not logged_in(client)


def test_guesses_spread_over_addresses_still_lock_the_user_out(client, staff, settings):
    for n in range(FAILURES):
        admin_login(client, "staff", "wrong", REMOTE_ADDR=f"198.51.100.{n + 1}")

    response = admin_login(client, "staff", "staff-password", REMOTE_ADDR="198.51.100.200")

    assert response.status_code == 429
    assert not logged_in(client)


def test_guesses_spread_over_usernames_lock_the_address_out(client, staff, settings):
    for n in range(FAILURES):
        admin_login(client, f"guess{n}", "wrong", REMOTE_ADDR="198.51.100.7")

    assert (
        admin_login(client, "staff", "staff-password", REMOTE_ADDR="198.51.100.7").status_code
        == 429
    )
    # Another address is not locked out by this one's guesses.
    assert (
        admin_login(client, "staff", "staff-password", REMOTE_ADDR="198.51.100.8").status_code
        == 302
    )
    assert logged_in(client)


def test_a_few_mistakes_do_not_lock_anyone_out(client, staff, settings):
    for _ in range(FAILURES - 1):
        admin_login(client, "staff", "wrong")

    assert admin_login(client, "staff", "staff-password").status_code == 302
    assert logged_in(client)


FLY_PROXY = "172.16.3.1"  # what REMOTE_ADDR is for every request through Fly's proxy


def test_behind_flys_proxy_two_clients_are_told_apart_by_fly_client_ip(client, staff, settings):
    settings.BEHIND_FLY_PROXY = True
    guesser, admin = "203.0.113.9", "192.0.2.44"
    for n in range(FAILURES):
        admin_login(client, f"guess{n}", "wrong", REMOTE_ADDR=FLY_PROXY, HTTP_FLY_CLIENT_IP=guesser)

    assert (
        admin_login(
            client, "staff", "staff-password", REMOTE_ADDR=FLY_PROXY, HTTP_FLY_CLIENT_IP=guesser
        ).status_code
        == 429
    )
    response = admin_login(
        client, "staff", "staff-password", REMOTE_ADDR=FLY_PROXY, HTTP_FLY_CLIENT_IP=admin
    )
    assert response.status_code == 302
    assert logged_in(client)


def test_without_the_proxy_setting_a_forged_fly_client_ip_changes_nothing(client, staff, settings):
    settings.BEHIND_FLY_PROXY = False
    for n in range(FAILURES):
        admin_login(
            client,
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="203.0.113.9",
            HTTP_FLY_CLIENT_IP=f"10.0.0.{n}",
        )

    response = admin_login(
        client, "staff", "staff-password", REMOTE_ADDR="203.0.113.9", HTTP_FLY_CLIENT_IP="10.9.9.9"
    )
    assert response.status_code == 429
    assert not logged_in(client)


@pytest.mark.parametrize(
    ("behind_proxy", "header", "expected"),
    [
        (True, "203.0.113.9", "203.0.113.9"),
        (True, " 2001:db8::1 ", "2001:db8::1"),
        (True, "not-an-address", FLY_PROXY),  # what we know for sure: the proxy
        (True, None, FLY_PROXY),
        (False, "203.0.113.9", FLY_PROXY),
    ],
)
def test_the_address_counted_is_fly_client_ip_only_behind_the_proxy(
    rf, settings, behind_proxy, header, expected
):
    settings.BEHIND_FLY_PROXY = behind_proxy
    meta = {"REMOTE_ADDR": FLY_PROXY}
    if header is not None:
        meta["HTTP_FLY_CLIENT_IP"] = header

    assert client_ip(rf.post("/admin/login/", **meta)) == expected


def test_learners_are_untouched_by_the_admin_lockout(client, staff, alice, settings):
    for _ in range(FAILURES):
        admin_login(client, "staff", "wrong")

    response = client.get(
        "/", HTTP_AUTHORIZATION=auth_headers(alice)["Authorization"], HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
