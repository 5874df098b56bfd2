"""Shared test fixtures: learners alice (the owner in most tests) and bob, a staff user, and
helpers that sign initData for any of them."""

import os
import secrets
from datetime import UTC, datetime, timedelta

# The test environment: production-like (DEBUG off), with test secrets and no fuzzing so
# that schedules are deterministic. Real values from the environment win (CI's PostgreSQL).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phraseweaver.settings")
os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("TELEGRAM_BOT_TOKEN", "4242:test-bot-token")
os.environ.setdefault("PUBLIC_URL", "https://phraseweaver.test")
os.environ.setdefault("FSRS_ENABLE_FUZZING", "false")
os.environ.setdefault("PLAIN_STATIC_STORAGE", "true")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Tasks run where they are enqueued; the tests of the worker itself use the database backend.
os.environ.setdefault("TASKS_BACKEND", "immediate")

import django  # noqa: E402
import pytest  # noqa: E402

# pytest-django finds no settings module when it starts (it is named here, after the test
# variables), so Django is set up here.
django.setup()

from accounts import initdata  # noqa: E402

TEST_BOT_TOKEN = os.environ["TELEGRAM_BOT_TOKEN"]


def sign_for(user, *, auth_date=None, **extra) -> str:
    """initData as Telegram would sign it for this user (or for a dict of Telegram fields)."""
    if not isinstance(user, dict):
        user = {
            "id": user.telegram_id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.telegram_username,
            "language_code": user.language_code,
        }
    return initdata.sign_user(user, TEST_BOT_TOKEN, auth_date=auth_date, **extra)


def auth_headers(user, **extra) -> dict:
    return {"Authorization": f"tma {sign_for(user, **extra)}"}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the tests run on a database file, as the app does, not in memory.

    Django's in-memory test database is shared between threads through SQLite's shared cache,
    which locks whole tables and fails at once ("database table is locked") whatever the busy
    timeout. A file is locked as in production: a connection waits for the write lock
    (phraseweaver.environment.database_config), so threads that write at once take turns.
    """
    from django.conf import settings

    for database in settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            test = database.setdefault("TEST", {})
            if not test.get("NAME"):
                test["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(scope="session")
def _media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


def file_system_storage(location) -> dict:
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": location},
    }


@pytest.fixture(autouse=True)
def _settings_for_tests(settings, _media_root):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Media go to a directory of the test run, never to the project's media/.
    settings.STORAGES = {**settings.STORAGES, "default": file_system_storage(str(_media_root))}


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request activates its learner's language for the thread and nothing undoes it: a
    test calling code directly after a Russian request would otherwise speak Russian."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what one test's learner left there (load
    balance's counts, keyed by the user's id, which the next test's learner may have again)
    must not reach another test. Only this run's keys (CACHE_KEY_PREFIX) on a shared Redis."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):  # django-redis
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible HTTP server on a free loopback port (moto's), for the whole run."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch):
    """The default storage switched to a new bucket on the S3 server, configured from the same
    variables as production (phraseweaver.environment.media_storage)."""
    import boto3

    from phraseweaver.environment import media_storage

    bucket = f"pw-test-{secrets.token_hex(6)}"
    variables = {
        "BUCKET_NAME": bucket,
        "AWS_ENDPOINT_URL_S3": s3_server,
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_REGION": "us-east-1",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",
    )
    client.create_bucket(Bucket=bucket)
    storage = media_storage(root="", url_max_age=settings.MEDIA_URL_MAX_AGE)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return client, bucket


@pytest.fixture(params=["file system", "s3"])
def media_storage(request):
    """Each media test runs once on the file system and once on the S3 server."""
    from django.core.files.storage import default_storage

    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return default_storage


@pytest.fixture
def make_user(db):
    from accounts.models import User

    def make(telegram_id, first_name, **fields):
        fields.setdefault("language_code", "en")
        return User.objects.create(
            telegram_id=telegram_id,
            username=f"tg{telegram_id}",
            first_name=first_name,
            **fields,
        )

    return make


@pytest.fixture
def alice(make_user):
    return make_user(111, "Alice", last_name="Liddell", telegram_username="alice")


@pytest.fixture
def bob(make_user):
    return make_user(222, "Bob")


@pytest.fixture
def staff(db):
    from accounts.models import User

    return User.objects.create_user(
        "staff", password="staff-password", is_staff=True, is_superuser=True
    )


@pytest.fixture
def as_alice(client, alice):
    """A test client that sends alice's initData like the Mini App does (htmx)."""
    client.defaults.update({"HTTP_AUTHORIZATION": f"tma {sign_for(alice)}"})
    return client


def htmx(**extra) -> dict:
    return {"HTTP_HX_REQUEST": "true", **extra}


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"PhraseWeaver tests on database: {database}, cache: {cache}"


PHRASE_FIELDS = ("front", "back", "example", "notes", "tags", "import_job")


def make_card(deck, front="front", back="back", *, direction="recognition", **fields):
    """A card of a new phrase in `deck` (its only card unless more are added): the phrase's
    fields go to the phrase, the rest to the card."""
    from cards.models import Card, Phrase

    fields.pop("owner", None)
    text = {name: fields.pop(name) for name in PHRASE_FIELDS if name in fields}
    phrase = Phrase.objects.create(deck=deck, front=front, back=back, **text)
    return Card.objects.create(phrase=phrase, direction=direction, **fields)


def make_cards(deck, count, prefix="front", back="back", *, direction="recognition", **fields):
    """`count` new phrases in `deck` ("<prefix> <i>" / "<back> <i>"), each with one card
    (two INSERTs); the card fields go to every card."""
    from cards.models import Card, Phrase

    fields.pop("owner", None)
    text = {name: fields.pop(name) for name in PHRASE_FIELDS if name in fields}
    phrases = Phrase.objects.bulk_create(
        Phrase(deck=deck, owner=deck.owner, front=f"{prefix} {i}", back=f"{back} {i}", **text)
        for i in range(count)
    )
    return Card.objects.bulk_create(
        Card(phrase=p, owner=deck.owner, deck=deck, direction=direction, **fields) for p in phrases
    )


def earlier_today(user, minutes, now=None):
    """A moment `minutes` before `now` (by default the clock's) that is still the learner's
    today: within `minutes` of their midnight, halfway between it and now. Tests that put a
    review "a few minutes ago" otherwise failed when run just after midnight."""
    from cards.models import local_day_start

    now = now or datetime.now(UTC)
    midnight = local_day_start(user, now)
    return max(now - timedelta(minutes=minutes), midnight + (now - midnight) / 2)
