from datetime import UTC, datetime

import pytest

from cards.models import Card, Deck, ReviewLog
from cards.scheduling import Rating


@pytest.fixture
def history(alice):
    deck = Deck.objects.create(owner=alice, name="Deck")
    card = Card.objects.create(deck=deck, front="hola", back="hello")
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
    Card.objects.bulk_create(
        Card(deck=deck, owner=alice, front=f"f{i}", back=f"b{i}") for i in range(count)
    )
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
