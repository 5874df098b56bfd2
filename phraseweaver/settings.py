"""PhraseWeaver settings: one module, read from the environment, embedded defaults for newcomers.

README.md lists every variable read here.
"""

from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from phraseweaver.environment import (
    cache_config,
    database_config,
    env_bool,
    env_choice,
    env_int,
    env_required,
    env_str,
    hosts_from_url,
    media_storage,
    public_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_required(
    "SECRET_KEY", debug=DEBUG, debug_default="django-insecure-development-only-secret-key"
)

# The development bot token lets the development login sign initData in a plain browser.
# It is not a real token and Telegram would reject it.
DEVELOPMENT_BOT_TOKEN = "123456:development-only-token-not-a-real-bot"
TELEGRAM_BOT_TOKEN = env_required(
    "TELEGRAM_BOT_TOKEN", debug=DEBUG, debug_default=DEVELOPMENT_BOT_TOKEN
)
TELEGRAM_INIT_DATA_MAX_AGE = env_int("TELEGRAM_INIT_DATA_MAX_AGE", 86400, minimum=1)
# The bot (accounts/telegram_api.py, accounts/bot.py). Tests point the API URL at a local server.
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
# Telegram sends it back with every webhook update; unset, the webhook refuses everything.
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET")
TELEGRAM_BOT_USERNAME = env_str("TELEGRAM_BOT_USERNAME").lstrip("@")
# The Mini App's short name, for https://t.me/<bot>/<app> links.
TELEGRAM_APP_NAME = env_str("TELEGRAM_APP_NAME")

PUBLIC_URL = public_url(debug=DEBUG)

ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS").split(",") if h.strip()]
ALLOWED_HOSTS += hosts_from_url(PUBLIC_URL)
if DEBUG:
    ALLOWED_HOSTS += ["localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = [PUBLIC_URL] if PUBLIC_URL else []

INSTALLED_APPS = [
    "accounts",
    "cards",
    "bot",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_htmx",
    "template_partials",
]

MIDDLEWARE = [
    # First: Fly's prober sends its private IP as Host, which ALLOWED_HOSTS would reject.
    "phraseweaver.health.LivenessMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "phraseweaver.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TelegramInitDataMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes asks: it turns a lockout into its 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "phraseweaver.urls"
WSGI_APPLICATION = "phraseweaver.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% partialdef %} in every template without a {% load %}.
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_config(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # PostgreSQL connections per process from Django's pool; 0: one per thread (docs/deploy.md).
        pool_size=env_int("DATABASE_POOL_SIZE", 0, minimum=0),
        prepared_statements=env_bool("DATABASE_PREPARED_STATEMENTS", True),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
CACHES = {"default": cache_config(REDIS_URL)}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "admin:login"
# Passwords are for the admin only (learners come with initData and never meet a backend).
# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password guessing: after 5 failures for a username, or from an address, that username or
# address is locked out for 15 minutes, counted again from each further failure.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ONLY_ADMIN_SITE = True
# No banner at every start-up (manage.py commands print nothing extra); failures still log.
AXES_VERBOSE = False
# Behind Fly's proxy REMOTE_ADDR is the proxy; the client is in Fly-Client-IP, which only
# counts when the app is configured to be behind that proxy (phraseweaver/proxy.py).
BEHIND_FLY_PROXY = env_bool("BEHIND_FLY_PROXY", False)
AXES_CLIENT_IP_CALLABLE = "phraseweaver.proxy.client_ip"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Learners' pictures and sounds (cards/media/): the file system under MEDIA_ROOT, or an
# S3-compatible bucket (BUCKET_NAME and the AWS_* variables). Their URLs carry a signature
# that expires after MEDIA_URL_MAX_AGE seconds (phraseweaver/media.py): <img> and <audio>
# cannot send initData. Nothing serves MEDIA_ROOT without that signature.
MEDIA_ROOT = env_str("MEDIA_ROOT") or str(BASE_DIR / "media")
MEDIA_URL_MAX_AGE = env_int("MEDIA_URL_MAX_AGE", 3600, minimum=60)
# The largest picture or sound a learner may upload (bytes), and the longest sound (seconds).
MEDIA_UPLOAD_MAX_BYTES = env_int("MEDIA_UPLOAD_MAX_BYTES", 10_000_000, minimum=1)
AUDIO_MAX_SECONDS = env_int("AUDIO_MAX_SECONDS", 30, minimum=1)
# Hashed names in production: Telegram's iOS and desktop clients cache static files hard.
STORAGES = {
    "default": media_storage(root=MEDIA_ROOT, url_max_age=MEDIA_URL_MAX_AGE),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("PLAIN_STATIC_STORAGE", False)
            else "phraseweaver.staticfiles.MinifiedStaticFilesStorage"
        )
    },
}

# Scheduling. Fuzzing spreads reviews of cards learned together; tests switch it off.
FSRS_ENABLE_FUZZING = env_bool("FSRS_ENABLE_FUZZING", True)
# With fuzzing on, the fuzz draws the lighter days (Card._balanced_due); off: fsrs's own draw.
LOAD_BALANCE = env_bool("LOAD_BALANCE", True)

# bench/review_load.py's baseline: GET /bench/floor/ answers "ok" to a learner (404 when off).
BENCHMARK_FLOOR_VIEW = env_bool("BENCHMARK_FLOOR_VIEW", False)

# Import limits: the largest file (bytes) and the most rows a learner may import at once.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10_000_000, minimum=1)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000, minimum=1)
# Pasted text arrives as a form field, which Django caps at 2.5 MB by default.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, IMPORT_MAX_BYTES + 100_000)

# Background work (imports, the data export): Django's Tasks framework, stored in the app's own
# database and run by `manage.py db_worker`; "immediate" runs each task where it is enqueued
# (tests).
TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": env_choice("TASKS_BACKEND", TASKS_BACKENDS, "database")}}
# A running import that has not reported progress for this long was left by a worker that
# died (SIGKILL, a stopped machine): it is marked failed and what it added removed.
IMPORT_JOB_LEASE_SECONDS = env_int("IMPORT_JOB_LEASE_SECONDS", 120, minimum=1)
# The same for "Export all my data", whose task renews its lease as it writes each file.
EXPORT_JOB_LEASE_SECONDS = env_int("EXPORT_JOB_LEASE_SECONDS", 600, minimum=1)
# A finished export waits this many hours for its download, then the hourly sweep removes it.
EXPORT_KEPT_HOURS = env_int("EXPORT_KEPT_HOURS", 24, minimum=1)

# Security. Fly's proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# The app is HTTPS-only (Fly's force_https), so consenting to browsers' preload lists costs
# nothing; turn it off on a custom domain whose other subdomains still serve plain HTTP.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Telegram Web shows the Mini App in an iframe, so X-Frame-Options: DENY would break it. The
# Content-Security-Policy's frame-ancestors (phraseweaver/middleware.py) says who may frame us.
SILENCED_SYSTEM_CHECKS = ["security.W002"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No token or initData in a log line (phraseweaver/logs.py).
    "filters": {"redact": {"()": "phraseweaver.logs.RedactSecrets"}},
    "formatters": {
        # Django's own, for the development server's request lines.
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
