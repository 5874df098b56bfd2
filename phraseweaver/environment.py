"""Reading settings from the environment.

Every helper raises ImproperlyConfigured with a message that names the variable, so a
misconfigured deployment stops at start-up with one readable line instead of failing later.
"""

import os
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}

# The old deployment handed SQLAlchemy-style URLs to the app; psycopg 3 is what Django uses.
POSTGRES_ALIASES = ("postgresql+asyncpg://", "postgres+asyncpg://", "postgresql+psycopg://")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_secret(name: str) -> str:
    """A secret from the variable, or from the file that NAME_FILE names (a mounted secret)."""
    path = env_str(f"{name}_FILE")
    if not path:
        return env_str(name)
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    except OSError as error:
        raise ImproperlyConfigured(f"{name}_FILE cannot be read: {error.strerror}") from None


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_choice(name: str, choices: dict[str, str], default: str) -> str:
    """The value `choices` gives for the variable's word (one of its keys)."""
    word = env_str(name, default).lower() or default
    if word not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {word!r}")
    return choices[word]


def env_required(name: str, *, debug: bool, debug_default: str) -> str:
    """A secret that production must set; development gets a clearly named stand-in."""
    value = env_secret(name)
    if value:
        return value
    if debug:
        return debug_default
    raise ImproperlyConfigured(f"{name} is not set (required when DEBUG is off)")


def public_url(*, debug: bool) -> str:
    """The app's public https:// address, without a trailing slash.

    Production needs it: the bot's web_app buttons and the webhook are built on it, and
    Telegram refuses a web_app button whose URL is not https.
    """
    url = env_str("PUBLIC_URL").rstrip("/")
    if debug:
        return url
    if not url:
        raise ImproperlyConfigured("PUBLIC_URL is not set (required when DEBUG is off)")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ImproperlyConfigured(f"PUBLIC_URL must be an https:// address, not {url!r}")
    return url


def database_config(
    url: str, *, pool_size: int = 0, prepared_statements: bool = True
) -> dj_database_url.DBConfig:
    """Django's settings for DATABASE_URL; with `pool_size`, PostgreSQL connections come from
    Django's psycopg pool, at most that many per process; with `prepared_statements`, a query
    run five times on a connection is prepared there (PostgreSQL plans it no more)."""
    for alias in POSTGRES_ALIASES:
        if url.startswith(alias):
            url = "postgres://" + url.removeprefix(alias)
            break
    scheme = urlsplit(url).scheme
    if scheme not in ("postgres", "postgresql", "sqlite"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres://, postgresql:// or sqlite://, not {scheme}://"
        )
    # Persistent connections with a health check: a restarted PostgreSQL costs one failed
    # request per worker thread at most, not a restart of the app.
    config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if scheme != "sqlite":
        # A database that stops answering must fail the request well within gunicorn's
        # timeout, not hang the worker thread (libpq waits forever by default).
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
        if prepared_statements:
            # The parameters travel apart from the query's text, which is then the same on
            # every request, and psycopg prepares it once it has run five times on the
            # connection. Planning the review loop's statements cost as much as running them
            # (bench/README.md). PgBouncer in transaction mode carries them from 1.21 on
            # (max_prepared_statements); an older one needs this off (docs/deploy.md).
            config["OPTIONS"]["server_side_binding"] = True
            config["OPTIONS"]["prepare_threshold"] = 5
        if pool_size:
            # Without the pool every gunicorn thread keeps a connection of its own for
            # conn_max_age: machines x workers x threads of them, busy or not. The pool caps a
            # process at pool_size, handed from request to request; a thread that finds them
            # all taken waits (timeout, seconds: within gunicorn's 30 s) and then fails with
            # the database's 503. Django refuses persistent connections beside a pool.
            config["CONN_MAX_AGE"] = 0
            config["OPTIONS"]["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 10}
    else:
        # SQLite lets one connection write at a time, and gunicorn's threads write at once.
        # A transaction takes the write lock when it begins (IMMEDIATE): in the default
        # (DEFERRED) mode, one that has read and then wants to write while another holds the
        # lock fails at once with "database is locked", since waiting could deadlock. A
        # connection that finds the lock taken waits for it (timeout, in seconds; below
        # gunicorn's 30 s timeout) instead of failing the request.
        options = config.setdefault("OPTIONS", {})
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
    return config


def cache_config(url: str) -> dict:
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://")
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "pw"),
        "OPTIONS": {
            # The cache is an optimisation: a Redis outage must turn into cache misses quickly,
            # never into failed or hanging requests.
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
            "IGNORE_EXCEPTIONS": True,
            # Upstash and other managed Redis servers close idle connections.
            "CONNECTION_POOL_KWARGS": {"health_check_interval": 30},
        },
    }


def hosts_from_url(url: str) -> list[str]:
    host = urlsplit(url).hostname
    return [host] if host else []


def media_storage(*, root: str, url_max_age: int) -> dict:
    """Where learners' media live: an S3-compatible bucket when BUCKET_NAME is set (Fly's
    Tigris, whose `fly storage create` sets these variables), else the file system under root.

    Objects stay private: the storage hands out presigned URLs that expire with our own signed
    ones (phraseweaver/media.py).
    """
    bucket = env_str("BUCKET_NAME")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not env_secret(name):
            raise ImproperlyConfigured(f"{name} is not set (required with BUCKET_NAME)")
    endpoint = env_str("AWS_ENDPOINT_URL_S3")
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"AWS_ENDPOINT_URL_S3 must be an http(s):// URL, not {endpoint!r}"
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint or None,
            "region_name": env_str("AWS_REGION") or None,
            "access_key": env_secret("AWS_ACCESS_KEY_ID"),
            "secret_key": env_secret("AWS_SECRET_ACCESS_KEY"),
            "signature_version": "s3v4",
            "querystring_auth": True,
            "querystring_expire": url_max_age,
            "default_acl": None,
            # Names are random (cards/media/files.py): skip the existence check before each
            # upload, a round trip to the bucket that could only find a 128-bit collision.
            "file_overwrite": True,
        },
    }
