"""The retention helper: the simulator told about the learner's collection, a year simulated at
several retentions with the learner's parameters, the background job and the Settings box."""

from datetime import timedelta
from io import StringIO

import fsrs_rs_python as rs
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cards import retention
from cards.models import Deck, RetentionSimulation, ReviewLog, State
from cards.tests.simulated_learner import FORGETFUL
from conftest import auth_headers, htmx, make_card, make_cards

BOX = {"HTTP_HX_TARGET": "retention"}


@pytest.fixture
def queued_only(settings):
    """The database backend: an enqueued simulation waits for a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def collection(alice):
    """Two decks of 60 and 40 cards (20 of them reviewed), and 5 suspended cards."""
    now = timezone.now()
    spanish = Deck.objects.create(owner=alice, name="Spanish", new_cards_per_day=10)
    french = Deck.objects.create(
        owner=alice, name="French", new_cards_per_day=5, reviews_per_day=50
    )
    make_cards(spanish, 40, prefix="s")
    make_cards(
        spanish, 20, prefix="r", state=State.REVIEW, stability=8.0, difficulty=5.0,
        last_review=now - timedelta(days=3), due=now + timedelta(days=5),
    )  # fmt: skip
    make_cards(french, 40, prefix="f")
    make_cards(french, 5, prefix="x", suspended=True)
    return spanish


def timed(card, count, *, state_before, rating, seconds):
    now = timezone.now()
    ReviewLog.objects.bulk_create(
        ReviewLog(
            card=card, user_id=card.owner_id, rating=rating, reviewed_at=now,
            duration_ms=seconds * 1000, state_before=state_before, due_before=now,
        )
        for _ in range(count)
    )  # fmt: skip


def test_the_simulator_is_told_the_learners_cards_and_daily_limits(alice, collection):
    config, told = retention.simulator_config(alice)
    assert told == {"cards": 100, "new_per_day": 15, "reviews_per_day": 250, "timed_reviews": 0}
    assert (config.deck_size, config.learn_limit, config.review_limit) == (100, 15, 250)
    assert config.learn_span == 365


def test_the_daily_ceiling_caps_the_simulated_limits(alice, collection):
    alice.daily_ceiling = 12
    alice.save()
    config, _told = retention.simulator_config(alice)
    assert (config.learn_limit, config.review_limit) == (12, 12)


def test_review_times_come_from_the_learners_timed_reviews_where_there_are_enough(
    alice, collection
):
    card = collection.cards.first()
    timed(card, 10, state_before=State.REVIEW, rating=3, seconds=4)
    timed(card, 9, state_before=State.REVIEW, rating=1, seconds=30)  # too few: the default
    timed(card, 12, state_before=State.LEARNING, rating=1, seconds=25)
    defaults = rs.default_simulator_config().state_rating_costs

    config, told = retention.simulator_config(alice)

    costs = config.state_rating_costs
    assert costs[1][2] == pytest.approx(4.0)
    assert costs[0][0] == pytest.approx(25.0)
    assert costs[1][0] == pytest.approx(defaults[1][0])
    assert costs[2] == pytest.approx(defaults[2])
    assert told["timed_reviews"] == 22


def test_a_higher_retention_costs_more_reviews_and_remembers_more(alice, collection):
    config, _told = retention.simulator_config(alice)
    parameters = retention.current_parameters(alice)
    low, high = (retention.simulate(parameters, value, config) for value in (0.80, 0.95))
    assert high["reviews"] > low["reviews"]
    assert high["minutes"] > low["minutes"]
    assert high["knowledge"] > low["knowledge"]
    assert 0 < high["knowledge"] <= 100


def test_the_simulation_uses_the_learners_personal_parameters(alice, collection):
    config, _told = retention.simulator_config(alice)
    default = retention.simulate(retention.current_parameters(alice), 0.9, config)
    alice.fsrs_parameters = list(FORGETFUL)
    forgetful = retention.simulate(retention.current_parameters(alice), 0.9, config)
    # Forgetting faster, the same retention asks for more reviews.
    assert forgetful["reviews"] > default["reviews"]


def test_the_existing_cards_are_given_in_days_from_today(alice, collection):
    now = timezone.now()
    cards = retention.existing_cards(alice, 0.9, now)
    assert len(cards) == 20
    card = cards[0]
    assert (card.last_date, card.due, card.interval) == (-3, 5, 8)
    assert card.stability == pytest.approx(8.0)


def test_simulating_from_settings_computes_every_retention_and_a_suggestion(
    as_alice, alice, collection
):
    alice.desired_retention = 0.87
    alice.save()

    response = as_alice.post("/settings/retention/", **htmx(**BOX))

    job = RetentionSimulation.objects.get(owner=alice)
    assert job.status == RetentionSimulation.Status.DONE
    assert [row["retention"] for row in job.results] == [0.8, 0.85, 0.87, 0.9, 0.95]
    assert (job.cards, job.new_per_day, job.reviews_per_day) == (100, 15, 250)
    assert job.desired_retention == 0.87
    assert not job.personal_parameters
    assert retention.LOWEST <= job.suggested <= retention.HIGHEST
    page = " ".join(response.content.decode().split())
    assert "<h3>Which retention suits you?</h3>" in page
    assert '<tr class="current"> <th scope="row"> 87% <small>(yours)</small>' in page
    assert "<title>95%:" in page and "reviews a day</title>" in page
    assert "with FSRS's default parameters, for your 100 cards" in page
    assert "(at most 15 new cards and 250 reviews a day)" in page
    assert "FSRS's typical review times" in page
    assert f"Suggested: <strong>{job.suggested:.2f}</strong>" in page


def test_a_non_htmx_post_goes_back_to_settings(as_alice, collection):
    response = as_alice.post("/settings/retention/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/"


def test_a_learner_without_cards_is_told_to_add_some(as_alice, alice):
    page = as_alice.post("/settings/retention/", **htmx(**BOX)).content.decode()
    assert RetentionSimulation.objects.get(owner=alice).results == []
    assert "Add cards first" in page


def test_two_taps_start_one_simulation_and_the_box_polls_it(
    as_alice, alice, collection, queued_only
):
    as_alice.post("/settings/retention/", **htmx(**BOX))
    page = as_alice.post("/settings/retention/", **htmx(**BOX)).content.decode()
    assert RetentionSimulation.objects.filter(owner=alice).count() == 1
    assert 'hx-trigger="every 1s"' in page
    assert "Simulating a year of your reviews" in page
    job = RetentionSimulation.objects.get(owner=alice)
    retention.run_simulation(job.pk)
    page = as_alice.get("/settings/retention/", **htmx(**BOX)).content.decode()
    assert "every 1s" not in page
    assert "Simulate again" in page
    retention.run_simulation(job.pk)  # delivered twice: run once
    assert RetentionSimulation.objects.get(pk=job.pk).finished is not None


def test_a_simulation_left_by_a_dead_worker_fails_and_can_be_started_again(
    as_alice, alice, collection, queued_only
):
    as_alice.post("/settings/retention/", **htmx(**BOX))
    RetentionSimulation.objects.update(
        status=RetentionSimulation.Status.RUNNING,
        started=timezone.now() - retention.LEASE - timedelta(minutes=1),
    )
    page = as_alice.get("/settings/retention/", **htmx(**BOX)).content.decode()
    assert "The computation stopped before it finished." in page
    as_alice.post("/settings/retention/", **htmx(**BOX))
    assert RetentionSimulation.objects.filter(owner=alice).count() == 2


def test_a_failed_simulation_says_so(as_alice, alice, collection, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("simulator")

    monkeypatch.setattr(retention.rs, "simulate", broken)
    page = as_alice.post("/settings/retention/", **htmx(**BOX)).content.decode()
    assert RetentionSimulation.objects.get(owner=alice).status == "failed"
    assert "Something went wrong on our side." in page


def test_a_changed_desired_retention_asks_for_a_new_simulation(as_alice, alice, collection):
    as_alice.post("/settings/retention/", **htmx(**BOX))
    alice.desired_retention = 0.93
    alice.save()
    page = as_alice.get("/settings/retention/", **htmx(**BOX)).content.decode()
    assert "Your desired retention has changed since" in page


def test_the_settings_screen_loads_the_helper_under_desired_retention(as_alice):
    page = as_alice.get("/settings/", **htmx()).content.decode()
    field = page.index('name="desired_retention"')
    helper = page.index('hx-get="/settings/retention/"')
    assert field < helper < page.index('name="new_cards_per_day"')


def test_the_box_is_a_whole_screen_outside_settings(as_alice):
    page = as_alice.get("/settings/retention/", **htmx(HTTP_HX_TARGET="app")).content.decode()
    assert 'data-tg-back="/settings/"' in page
    assert "Simulate a year of your reviews at 80%" in page


def test_the_box_reads_a_constant_number_of_queries(
    as_alice, alice, collection, django_assert_max_num_queries
):
    as_alice.post("/settings/retention/", **htmx(**BOX))
    with django_assert_max_num_queries(4):
        as_alice.get("/settings/retention/", **htmx(**BOX))


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_box_answers_only_get_and_post(as_alice, method):
    assert getattr(as_alice, method)("/settings/retention/").status_code == 405


def test_the_helper_speaks_russian(client, make_user):
    ivan = make_user(333, "Иван", language_code="ru")
    make_card(deck=Deck.objects.create(owner=ivan, name="Д"), front="f", back="b")
    headers = {"HTTP_AUTHORIZATION": auth_headers(ivan)["Authorization"], **htmx(**BOX)}
    page = client.post("/settings/retention/", **headers).content.decode()
    assert "Какое запоминание вам подходит?" in page


def test_the_operators_command_prints_every_retention_and_the_suggestion(alice, collection):
    out = StringIO()
    call_command("simulate_retention", str(alice.telegram_id), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("100 cards, 15 new and 250 reviews a day, 0 timed reviews")
    assert [line.split(":")[0] for line in lines[1:5]] == ["0.80", "0.85", "0.90", "0.95"]
    assert lines[-1].startswith("Suggested: 0.")


def test_the_operators_command_refuses_an_unknown_learner_or_a_running_simulation(
    alice, queued_only
):
    with pytest.raises(CommandError, match="No learner"):
        call_command("simulate_retention", "999")
    RetentionSimulation.objects.create(owner=alice, status="running", started=timezone.now())
    with pytest.raises(CommandError, match="already running"):
        call_command("simulate_retention", str(alice.telegram_id))
