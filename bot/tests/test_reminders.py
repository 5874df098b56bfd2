"""Daily reminders (send_reminders) and their part of the settings page."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from bot.models import ProcessedUpdate
from bot.reminders import RateLimiter, learners_to_remind, send_reminders
from bot.telegram_api import bot_api
from cards.models import Card, Deck, State
from conftest import auth_headers, htmx, make_card

pytestmark = pytest.mark.django_db

# The same instant: 19:00 in Tokyo, 05:00 in New York (winter time).
TOKYO_EVENING = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
NEW_YORK_EVENING = datetime(2026, 1, 16, 0, 0, tzinfo=UTC)  # 09:00 on the 16th in Tokyo
NEXT_TOKYO_EVENING = TOKYO_EVENING + timedelta(days=1)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def run(telegram, clock):
    """send_reminders against the fake Telegram, on a fake clock."""

    def run(now, **options):
        options.setdefault("api", bot_api(sleep=clock.sleep))
        options.setdefault("limiter", RateLimiter(clock=clock, sleep=clock.sleep))
        return send_reminders(now=now, **options)

    return run


def add_due_cards(user, count, *, due=datetime(2026, 1, 10, tzinfo=UTC)):
    deck = Deck.objects.create(owner=user, name="Spanish")
    return [
        make_card(
            deck=deck,
            front=f"card {n}",
            back="back",
            state=State.REVIEW,
            stability=3.0,
            difficulty=5.0,
            last_review=datetime(2026, 1, 1, tzinfo=UTC),
            due=due + timedelta(minutes=n),
        )
        for n in range(count)
    ]


@pytest.fixture
def learner(make_user):
    def make(telegram_id, time_zone="Asia/Tokyo", *, cards=2, **fields):
        fields = {"reminders_enabled": True, "bot_can_write": True, **fields}
        user = make_user(telegram_id, f"Learner {telegram_id}", time_zone=time_zone, **fields)
        add_due_cards(user, cards)
        return user

    return make


def recipients(telegram) -> list[int]:
    return [call["chat_id"] for call in telegram.calls("sendMessage")]


def test_each_learner_is_reminded_at_their_local_hour(learner, telegram, run):
    tokyo = learner(1, "Asia/Tokyo")
    new_york = learner(2, "America/New_York")

    run(TOKYO_EVENING)
    assert recipients(telegram) == [tokyo.telegram_id]
    run(NEW_YORK_EVENING)
    assert recipients(telegram) == [tokyo.telegram_id, new_york.telegram_id]
    run(NEXT_TOKYO_EVENING)
    assert recipients(telegram) == [tokyo.telegram_id, new_york.telegram_id, tokyo.telegram_id]

    tokyo.refresh_from_db()
    new_york.refresh_from_db()
    assert tokyo.last_reminded_on == NEXT_TOKYO_EVENING.date()
    assert new_york.last_reminded_on == datetime(2026, 1, 15).date()  # its local date


def test_a_late_run_catches_up_within_two_hours(learner, telegram, run):
    at_19 = learner(1, reminder_hour=19)
    learner(2, reminder_hour=18)  # three hours ago: skipped today
    learner(3, reminder_hour=22)  # not yet

    run(TOKYO_EVENING + timedelta(hours=2))  # 21:00 in Tokyo

    assert recipients(telegram) == [at_19.telegram_id]


def test_the_reminder_counts_the_due_cards_and_carries_the_first_one(learner, telegram, run):
    user = learner(1, cards=3)
    first = Card.objects.order_by("due").first()

    run(TOKYO_EVENING)

    [call] = telegram.calls("sendMessage")
    assert call["text"].startswith("3 cards are waiting for you.")
    assert "card 0" in call["text"]
    keyboard = call["reply_markup"]["inline_keyboard"]
    assert keyboard == [
        [{"text": "Show answer", "callback_data": f"rv:{first.pk}:0:show:0"}],
        [{"text": "Open the app", "web_app": {"url": "https://pw.example.com/review/"}}],
    ]
    assert call["chat_id"] == user.telegram_id


@pytest.mark.parametrize(
    "count,text",
    [(1, "Вас ждёт 1 карточка."), (3, "Вас ждут 3 карточки."), (5, "Вас ждут 5 карточек.")],
)
def test_the_reminder_speaks_the_learners_language(learner, telegram, run, count, text):
    learner(1, cards=count, language_code="ru")

    run(TOKYO_EVENING)

    [call] = telegram.calls("sendMessage")
    assert call["text"].startswith(text)
    assert call["reply_markup"]["inline_keyboard"][0][0]["text"] == "Показать ответ"


def test_only_reachable_learners_with_reminders_on_and_due_cards_are_reminded(
    learner, make_user, telegram, run
):
    learner(1, reminders_enabled=False)
    learner(2, bot_can_write=False)  # never started the bot nor allowed it to write
    learner(3, bot_blocked=True)
    learner(4, cards=0)
    not_due = learner(5, cards=0)
    add_due_cards(not_due, 1, due=TOKYO_EVENING + timedelta(minutes=1))
    suspended = learner(6, cards=0)
    Card.objects.filter(pk=add_due_cards(suspended, 1)[0].pk).update(suspended=True)
    make_card(deck=Deck.objects.create(owner=not_due, name="New"), front="n", back="b")
    allowed = learner(7, bot_can_write=False, allows_write_to_pm=True)

    run(TOKYO_EVENING)

    assert recipients(telegram) == [allowed.telegram_id]


def test_at_most_25_messages_go_out_in_any_second(learner, telegram, run, clock):
    for telegram_id in range(1, 61):
        learner(telegram_id, cards=1)
    telegram.clock = clock

    outcome = run(TOKYO_EVENING)

    assert outcome.sent == 60
    times = sorted(request.at for request in telegram.requests)
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[25:], strict=False))
    assert clock.now >= 2.0  # 60 messages at 25 a second


def test_a_learner_telegram_keeps_failing_for_gets_no_second_reminder(learner, telegram, run):
    learner(1)
    failing = learner(2)
    learner(3)
    telegram.fail(500, method="sendMessage", when=lambda body: body["chat_id"] == 2)

    outcome = run(TOKYO_EVENING)
    sent_before = len(telegram.requests)
    rerun = run(TOKYO_EVENING + timedelta(minutes=5))

    assert (outcome.sent, outcome.failed) == (2, 1)
    assert Counter(recipients(telegram)) == {1: 1, 2: 4, 3: 1}  # 2: one try and three retries
    assert len(telegram.requests) == sent_before
    assert (rerun.sent, rerun.failed) == (0, 0)
    failing.refresh_from_db()
    assert failing.last_reminded_on == TOKYO_EVENING.date()
    assert not failing.bot_blocked


class Crash(Exception):
    pass


def test_a_rerun_after_a_crash_half_way_sends_nobody_a_second_reminder(
    learner, telegram, run, clock
):
    for telegram_id in range(1, 6):
        learner(telegram_id)

    def crash(seconds):
        raise Crash

    with pytest.raises(Crash):  # the process dies before the third message
        run(TOKYO_EVENING, limiter=RateLimiter(2, clock=clock, sleep=crash))
    assert recipients(telegram) == [1, 2]
    run(TOKYO_EVENING + timedelta(minutes=1))
    run(TOKYO_EVENING + timedelta(minutes=2))

    # The learner claimed when the crash came misses today's reminder: at most once a day.
    assert recipients(telegram) == [1, 2, 4, 5]


def test_two_overlapping_runs_remind_each_learner_once(learner, telegram, run, clock):
    for telegram_id in range(1, 4):
        learner(telegram_id)
    overlapping = []

    def next_run_starts_meanwhile(seconds):
        # The first run has selected all three learners and claimed the second; while it
        # waits to send, the next hourly run selects, claims and reminds the third.
        if not overlapping:
            overlapping.append(run(TOKYO_EVENING + timedelta(hours=1)))
        clock.sleep(seconds)

    first = run(TOKYO_EVENING, limiter=RateLimiter(1, clock=clock, sleep=next_run_starts_meanwhile))

    [second] = overlapping
    assert (first.sent, second.sent) == (2, 1)
    assert Counter(recipients(telegram)) == {1: 1, 2: 1, 3: 1}
    assert recipients(telegram) == [1, 3, 2]


def test_a_learner_reminded_on_their_local_date_is_not_selected_again_that_day(learner):
    reminded = learner(1)
    yesterday = learner(2)
    never = learner(3)
    User.objects.filter(pk=reminded.pk).update(last_reminded_on=TOKYO_EVENING.date())
    User.objects.filter(pk=yesterday.pk).update(
        last_reminded_on=TOKYO_EVENING.date() - timedelta(days=1)
    )
    # New York's 20:00 on the 15th is already the 16th in UTC: the learner's own date counts.
    new_york_today = learner(4, "America/New_York", last_reminded_on=date(2026, 1, 15))
    new_york_yesterday = learner(5, "America/New_York", last_reminded_on=date(2026, 1, 14))

    assert list(learners_to_remind(TOKYO_EVENING + timedelta(hours=1))) == [yesterday, never]
    assert list(learners_to_remind(NEXT_TOKYO_EVENING)) == [reminded, yesterday, never]
    new_york_evening = list(learners_to_remind(NEW_YORK_EVENING + timedelta(hours=1)))
    assert new_york_evening == [new_york_yesterday]
    assert new_york_today not in new_york_evening


def test_a_second_run_in_the_same_hour_costs_the_selection_and_the_clean_up_alone(
    learner, telegram, run, django_assert_num_queries
):
    for telegram_id in range(1, 6):
        learner(telegram_id)
    assert run(TOKYO_EVENING).sent == 5

    with django_assert_num_queries(2):
        rerun = run(TOKYO_EVENING + timedelta(minutes=30))

    assert rerun.sent == 0
    assert len(recipients(telegram)) == 5


def test_a_learner_who_blocked_the_bot_is_skipped_from_then_on(learner, telegram, run):
    blocker = learner(1)
    learner(2)
    telegram.fail(403, when=lambda body: body["chat_id"] == 1)

    outcome = run(TOKYO_EVENING)
    run(NEXT_TOKYO_EVENING)

    assert (outcome.sent, outcome.blocked) == (1, 1)
    assert recipients(telegram) == [1, 2, 2]
    blocker.refresh_from_db()
    assert blocker.bot_blocked


@pytest.mark.parametrize("learners", [1, 20])
def test_the_number_of_queries_does_not_grow_but_for_each_claim(
    learner, telegram, run, learners, django_assert_num_queries
):
    for telegram_id in range(1, learners + 1):
        learner(telegram_id)

    with django_assert_num_queries(1):
        users = list(learners_to_remind(TOKYO_EVENING))
    # The selection, then for each learner today's counts, the first card with the number
    # waiting, and the claim; last, the clean-up of old webhook updates.
    with django_assert_num_queries(2 + 3 * learners):
        run(TOKYO_EVENING)

    assert len(users) == learners


def test_it_forgets_webhook_updates_older_than_a_week(telegram, run):
    ProcessedUpdate.objects.create(update_id=1)
    ProcessedUpdate.objects.create(update_id=2)
    ProcessedUpdate.objects.filter(update_id=1).update(
        processed_at=TOKYO_EVENING - timedelta(days=8)
    )
    ProcessedUpdate.objects.filter(update_id=2).update(
        processed_at=TOKYO_EVENING - timedelta(days=6)
    )

    run(TOKYO_EVENING)

    assert list(ProcessedUpdate.objects.values_list("update_id", flat=True)) == [2]


def test_the_command_sends_and_reports(learner, telegram):
    hour = timezone.now().hour  # UTC
    add_due_cards(learner(1, "UTC", cards=0, reminder_hour=hour), 1, due=timezone.now())
    out = StringIO()
    call_command("send_reminders", stdout=out)

    assert out.getvalue().strip() == "Reminders sent: 1, bot blocked: 0, failed: 0"
    assert recipients(telegram) == [1]


def test_the_command_fails_loudly_when_reminders_fail(learner, telegram):
    hour = timezone.now().hour  # UTC
    add_due_cards(learner(1, "UTC", cards=0, reminder_hour=hour), 1, due=timezone.now())
    telegram.fail(400, description="Bad Request: chat not found")

    with pytest.raises(CommandError, match="1 reminders could not be sent"):
        call_command("send_reminders")


# The reminders on the settings page

URL = "/settings/"
SETTINGS = {
    "interface_language": "",
    "desired_retention": "0.9",
    "new_cards_per_day": "20",
    "reviews_per_day": "200",
    "learn_ahead_minutes": "20",
    "time_zone": "UTC",
}


def test_the_settings_page_shows_the_reminder_fields_in_its_form(as_alice):
    text = as_alice.get(URL, **htmx()).text

    assert '<option value="19" selected>19:00</option>' in text
    form = text.split('<form id="settings"')[1].split("</form>")[0]
    assert 'name="reminders_enabled"' in form
    assert 'name="new_cards_per_day"' in form


def test_the_checkbox_asks_for_write_access_only_when_the_bot_cannot_write(as_alice, alice):
    assert b"data-tg-request-write-access" in as_alice.get(URL, **htmx()).content

    User.objects.filter(pk=alice.pk).update(bot_can_write=True)

    assert b"data-tg-request-write-access" not in as_alice.get(URL, **htmx()).content


def test_saving_turns_reminders_on_at_an_hour(as_alice, alice):
    data = {**SETTINGS, "reminders_enabled": "on", "reminder_hour": "7"}
    response = as_alice.post(URL, data, **htmx())

    assert response.status_code == 200
    assert b"Settings saved." in response.content
    assert b"The bot cannot write to you yet" in response.content
    assert b'<option value="7" selected>07:00</option>' in response.content
    alice.refresh_from_db()
    assert (alice.reminders_enabled, alice.reminder_hour) == (True, 7)


def test_saving_without_the_box_ticked_turns_reminders_off(as_alice, alice):
    User.objects.filter(pk=alice.pk).update(reminders_enabled=True)

    response = as_alice.post(URL, {**SETTINGS, "reminder_hour": "19"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.reminders_enabled


@pytest.mark.parametrize("hour", ["24", "-1", "seven", ""])
def test_a_bad_hour_is_refused_and_nothing_is_saved(as_alice, alice, hour):
    data = {**SETTINGS, "new_cards_per_day": "5", "reminders_enabled": "on", "reminder_hour": hour}
    response = as_alice.post(URL, data, **htmx())

    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert b"Settings saved." not in response.content
    alice.refresh_from_db()
    assert (alice.reminders_enabled, alice.new_cards_per_day) == (False, 20)


def test_a_bad_setting_keeps_the_reminder_choices_on_screen_unsaved(as_alice, alice):
    data = {**SETTINGS, "reviews_per_day": "-1", "reminders_enabled": "on", "reminder_hour": "8"}
    response = as_alice.post(URL, data, **htmx())

    assert b'<option value="8" selected>08:00</option>' in response.content
    checkbox = response.text.split('name="reminders_enabled"')[1].split(">")[0]
    assert " checked" in checkbox
    alice.refresh_from_db()
    assert not alice.reminders_enabled


def test_turning_reminders_on_again_lets_the_bot_try_again(as_alice, alice):
    User.objects.filter(pk=alice.pk).update(bot_blocked=True, bot_can_write=True)

    as_alice.post(URL, {**SETTINGS, "reminders_enabled": "on", "reminder_hour": "19"}, **htmx())

    alice.refresh_from_db()
    assert not alice.bot_blocked


def test_the_reminders_speak_russian(client, make_user):
    ivan = make_user(555, "Иван", language_code="ru")

    response = client.get(URL, headers=auth_headers(ivan), **htmx())

    assert "Напоминания".encode() in response.content


def test_saving_reminders_and_settings_costs_one_query_more_than_showing_them(
    as_alice, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the learner, by the initData middleware
        as_alice.get(URL, **htmx())
    with django_assert_num_queries(2):
        as_alice.post(URL, {**SETTINGS, "reminders_enabled": "on", "reminder_hour": "7"}, **htmx())
