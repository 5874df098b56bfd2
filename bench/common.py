"""Shared by the bench scripts: a benchmark database of its own, created and migrated here.

Not a test module. Import it before anything that touches Django.
"""

import html
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pw_bench"
BENCH_BOT_TOKEN = "4242:bench-bot-token"


def bench_environment(database_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) with benchmark secrets, for this process and gunicorn."""
    return {
        "DJANGO_SETTINGS_MODULE": "phraseweaver.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "TELEGRAM_BOT_TOKEN": BENCH_BOT_TOKEN,
        "PUBLIC_URL": "https://127.0.0.1",
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }


def create_database(database_url: str) -> None:
    """CREATE DATABASE unless it exists (through the server's `postgres` database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(database_url: str, **extra_env: str):
    """Point this process at the benchmark database, migrate it, return django.setup()'s env."""
    sys.path.insert(0, str(ROOT))
    env = {**bench_environment(database_url), **extra_env}
    os.environ.update(env)
    create_database(database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return env


# What a virtual learner reads from the review screens (see templates/cards/review.html).
ANSWER_URL = re.compile(r'hx-get="(/review/cards/\d+/answer/[^"]*)"')
GRADE_URL = re.compile(r'hx-post="(/review/cards/\d+/grade/[^"]*)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def found(pattern: re.Pattern, text: str) -> str | None:
    match = pattern.search(text)
    return html.unescape(match.group(1)) if match else None
