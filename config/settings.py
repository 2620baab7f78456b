"""Polyphony settings, driven by environment variables.

Defaults run on a laptop with nothing installed: SQLite (WAL) under var/ and a
Celery broker on the filesystem. Production sets DATABASE_URL (PostgreSQL),
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("POLYPHONY_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = "insecure-development-key-never-used-with-debug-off"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlsplit(_origin).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entry {_origin!r} must start with http:// or https://."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and Redoc as static files of our own: the API docs work offline.
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "communities",
    "elicitation",
    "aggregation",
    "webhooks",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that may answer early, so every answer carries the headers.
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The language from the django_language cookie, else Accept-Language: early,
    # so that even the input guard's refusals are in the reader's language.
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the request: NUL characters and oversized URL numbers.
    "config.input_guard.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The account's saved language (wins over the cookie) and the reader's time zone.
    "config.locale.AccountLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.input_guard.StyledNotFoundMiddleware",
    # Turns django-ratelimit's refusals (forms, sign-up, password reset) into 429s.
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "config.locale.i18n_context",
            ],
        },
    }
]

# --- Database --------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
# PostgreSQL connections per process (psycopg's pool): every web worker,
# Celery worker process and command holds at most this many. 0 turns the pool
# off and keeps one connection per thread (per greenlet under gevent) for
# DB_CONN_MAX_AGE seconds instead; see the pool comment below.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 10, minimum=0)
DB_POOL_TIMEOUT = env_int("DB_POOL_TIMEOUT", 10, minimum=1)
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if not _db.get("ENGINE"):
        raise ImproperlyConfigured("DATABASE_URL names no supported database engine.")
    _db["CONN_HEALTH_CHECKS"] = True
    _postgresql = _db["ENGINE"].endswith("postgresql")
    _pooled = _postgresql and DB_POOL_MAX_SIZE > 0
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0 if _pooled else 60, minimum=0)
    if _pooled:
        if _db["CONN_MAX_AGE"]:
            raise ImproperlyConfigured(
                "DB_CONN_MAX_AGE must be 0 (or unset) while DB_POOL_MAX_SIZE is above 0: "
                "pooled connections go back to the pool at the end of each request."
            )
        # Under gevent Django keeps a connection per greenlet, that is per
        # client connection: clients that open a new connection per request
        # left theirs open until the garbage collector reached the greenlet
        # (4 such clients held 41 PostgreSQL connections after 7 s; 8 reached
        # max_connections). With the pool a request takes a connection at its
        # first query and gives it back when it ends, so a process never holds
        # more than DB_POOL_MAX_SIZE, whatever its clients do; a request that
        # finds them all busy waits up to DB_POOL_TIMEOUT seconds (then 503).
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": DB_POOL_TIMEOUT,
            # A connection idle this long is closed (down to min_size).
            "max_idle": 300,
        }
    if _postgresql and env_bool("DB_PREPARED_STATEMENTS", True):
        # Server-side parameter binding and psycopg's automatic prepared
        # statements (a query a connection has run 5 times is prepared, and
        # PostgreSQL no longer parses and plans it). Django leaves both off.
        # The vote statement cost 1.46 ms of PostgreSQL CPU bound client-side
        # and 0.68 ms prepared (one connection, 3,000 votes). Not for a pooler
        # in transaction mode (PgBouncer): set DB_PREPARED_STATEMENTS=false.
        _db.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "db.sqlite3"),
        # WAL lets the web server and the worker read while one writes;
        # IMMEDIATE transactions take the write lock up front instead of
        # failing with "database is locked" on upgrade.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # A file, not :memory:, so a Celery worker process started by the
        # tests opens the same test database.
        "TEST": {"NAME": str(VAR_DIR / "test_db.sqlite3")},
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Optional abstractive summaries (aggregation/llm.py): any OpenAI-compatible chat
# endpoint, e.g. a local llama.cpp or vLLM server at http://127.0.0.1:8080/v1.
# Unset: only the extractive summaries, which need nothing.
LLM_BASE_URL = env_str("LLM_BASE_URL").rstrip("/")
LLM_MODEL = env_str("LLM_MODEL", "local")
LLM_API_KEY = env_str("LLM_API_KEY")
LLM_TIMEOUT_S = env_int("LLM_TIMEOUT_S", 60, minimum=1)

# --- E-mail ------------------------------------------------------------------
#
# Printed to the console unless configured: EMAIL_URL (smtp://user:password@host:25,
# submission://user:password@host:587 for STARTTLS, smtp://host:465?ssl=true for
# TLS from the start), or the EMAIL_HOST / EMAIL_PORT / ... variables one by one.
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    # Imported only when used: a machine that never set EMAIL_URL needs nothing new.
    import dj_email_url

    if urlsplit(EMAIL_URL).scheme not in dj_email_url.SCHEMES:
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with one of {', '.join(sorted(dj_email_url.SCHEMES))}://."
        )
    try:
        _email = dj_email_url.parse(EMAIL_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not an e-mail URL: {exc}") from None
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
    EMAIL_PORT = _email["EMAIL_PORT"] or 25
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
else:
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    # Naming a mail server is enough to use it.
    EMAIL_BACKEND = env_str(
        "EMAIL_BACKEND",
        "django.core.mail.backends.smtp.EmailBackend"
        if env_str("EMAIL_HOST")
        else "django.core.mail.backends.console.EmailBackend",
    )
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Choose EMAIL_USE_TLS (STARTTLS) or EMAIL_USE_SSL, not both.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Polyphony <noreply@localhost>"
SERVER_EMAIL = env_str("SERVER_EMAIL") or DEFAULT_FROM_EMAIL
# The site's public address, for links in e-mails (which have no request to
# take it from). Without it: https:// and the first ALLOWED_HOSTS entry.
_first_host = ALLOWED_HOSTS[0].lstrip(".") if ALLOWED_HOSTS else ""
SITE_URL = env_str("SITE_URL").rstrip("/") or (
    f"https://{_first_host}"
    if not DEBUG and _first_host and "*" not in _first_host
    else "http://127.0.0.1:8000"
)
if urlsplit(SITE_URL).scheme not in ("http", "https") or not urlsplit(SITE_URL).hostname:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must be like https://polyphony.example.org.")
# Invitation e-mails a community may send in 24 hours (the invite form's e-mail field).
INVITATION_EMAILS_PER_DAY = env_int("INVITATION_EMAILS_PER_DAY", 200, minimum=0)
# The hour (in TIME_ZONE) of the facilitators' daily moderation digest.
MODERATION_DIGEST_HOUR = env_int("MODERATION_DIGEST_HOUR", 7, minimum=0)
if MODERATION_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(f"MODERATION_DIGEST_HOUR={MODERATION_DIGEST_HOUR} must be 0 to 23.")

# --- Rate limits of pages (django-ratelimit; the API uses DRF's throttles) ---
#
# Counted in the default cache. Not installed as an app: its system check
# wants memcached or django-redis, while this project counts in its own Redis
# backend (atomic INCR) or, on a laptop, in the file cache, as the log-in
# limits always have.
RATELIMIT_VIEW = "config.errors.too_many_requests"
# A Redis outage must not lock everyone out of voting and logging in.
RATELIMIT_FAIL_OPEN = True
SIGNUP_RATE = env_str("SIGNUP_RATE", "10/hour")
PASSWORD_RESET_RATE = env_str("PASSWORD_RESET_RATE", "10/hour")
# New anonymous participants per client address (each vote without a token made one).
PARTICIPANTS_PER_ADDRESS = env_str("PARTICIPANTS_PER_ADDRESS", "300/hour")
# Failed log-ins per address across all usernames (spraying) in the 15-minute window.
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1)

# --- Cache (rate limits, throttling) -------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in ("redis", "rediss"):
    raise ImproperlyConfigured(f"REDIS_URL={REDIS_URL!r} must start with redis:// or rediss://.")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Internationalisation, static ----------------------------------------

# The language comes from the switcher's cookie, else the browser's
# Accept-Language; a logged-in person's saved choice wins over both
# (config/locale.py). Each language is named in itself, for the switcher.
# Adding one: README, "Languages".
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env_bool("LANGUAGE_COOKIE_SECURE", not DEBUG)
# The site's time zone, used when neither the account nor the browser gives one.
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
# Dates follow the reader's language (Django's formats, English's in config/formats/en);
# templates name a format ("DATE_FORMAT", "SHORT_DATETIME_FORMAT"), never a pattern.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Pol.is uploads (elicitation.polis.jobs): the web request only stores the
# files in a private folder (never served; shared with the workers, who parse
# and import them) and answers at once. A request body larger than
# POLIS_UPLOAD_MAX_BYTES (all files together) is refused before it is read;
# each person has one import running at a time and POLIS_IMPORTS_PER_DAY in
# any 24 hours.
POLIS_UPLOAD_DIR = Path(env_str("POLIS_UPLOAD_DIR") or VAR_DIR / "uploads" / "polis")
POLIS_UPLOAD_MAX_BYTES = env_int("POLIS_UPLOAD_MAX_BYTES", 64 * 1024 * 1024, minimum=1024)
POLIS_IMPORTS_PER_DAY = env_int("POLIS_IMPORTS_PER_DAY", 10, minimum=1)

# --- Security (production) -------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# One table for the whole site (config/security.py); a view extends it for its
# own response with config.security.csp_extend / @csp_update.
CONTENT_SECURITY_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    # Server-rendered bars set their width in style attributes; no inline <style>.
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
PERMISSIONS_POLICY_DISABLED = [
    "accelerometer",
    "camera",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "payment",
    "usb",
]

# --- REST API --------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first: DRF answers 401 with `WWW-Authenticate: Token` only when the
    # first class names a scheme (session authentication has none, which gave
    # 403 to clients that were simply not logged in).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "communities.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Application errors become HTTP answers here and nowhere else.
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "120/minute"),
        "user": env_str("API_THROTTLE_USER", "600/minute"),
        # Scopes of the elicitation API (per user or participant token): votes
        # come fast from a real participant, the other writes much less often.
        "space_votes": env_str("API_THROTTLE_VOTES", "3600/minute"),
        "space_writes": env_str("API_THROTTLE_SPACE_WRITES", "300/minute"),
        "space_reads": env_str("API_THROTTLE_SPACE_READS", "1200/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Polyphony API",
    "DESCRIPTION": (
        "Communities, deliberation spaces and the value profiles they publish. "
        "Participants appear only as per-space integers."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status"; name the aggregation ones explicitly.
    "ENUM_NAME_OVERRIDES": {
        "AnalysisRunStatusEnum": "aggregation.models.AnalysisRun.Status",
        "ValueProfileStatusEnum": "aggregation.models.ValueProfile.Status",
        "WebhookEventEnum": "webhooks.models.Event",
    },
    # 400, 401, 415 and 503 that layers in front of every endpoint give. Both
    # hooks landed from two branches at once; the second only fills in what
    # the first left out.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi_hooks.add_shared_error_responses",
    ],
}

# Webhook URLs must be https; plain http to loopback only on a development machine.
WEBHOOKS_ALLOW_LOOPBACK_HTTP = env_bool("WEBHOOKS_ALLOW_LOOPBACK_HTTP", DEBUG)

# --- Celery ----------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if CELERY_BROKER_URL == "filesystem://":
    for _sub in ("queue", "processed", "control"):
        (CELERY_BROKER_FOLDER / _sub).mkdir(parents=True, exist_ok=True)
    # Kombu's own filesystem transport can hand a worker a half-written message.
    CELERY_BROKER_TRANSPORT = "config.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        # Broadcast (pidbox) exchanges; kombu's default is ./control in the cwd.
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    # Short socket timeouts: a web request that enqueues while Redis is down
    # must fail fast (the database stays the source of truth and a beat task
    # re-enqueues what was missed), not hang.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "visibility_timeout": 3600,
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "polyphony")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660, minimum=1)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Anonymous participants' tokens (X-Participant-Token, and the browser cookie
# holding the same value) expire this many days after they were issued; each
# write past half that age renews them (elicitation.identity).
PARTICIPANT_TOKEN_MAX_AGE_DAYS = env_int("PARTICIPANT_TOKEN_MAX_AGE_DAYS", 90, minimum=1)

# A running analysis writes a heartbeat every RUN_HEARTBEAT_S; the reaper, every
# RUN_REAP_EVERY_S, retries once and then fails a run silent for RUN_STALE_AFTER_S
# (a worker killed mid-run). Defaults 15 / 90 / 30 s; tests shorten them.
RUN_HEARTBEAT_S = env_int("RUN_HEARTBEAT_S", 15, minimum=1)
RUN_STALE_AFTER_S = env_int("RUN_STALE_AFTER_S", 90, minimum=2)
RUN_REAP_EVERY_S = env_int("RUN_REAP_EVERY_S", 30, minimum=1)
# A run embeds at most this many statements that lack an embedding before
# finding topics; with more missing it leaves topics to the next run
# (aggregation.services.run_sensemaking).
RUN_INLINE_EMBED_MAX = env_int("RUN_INLINE_EMBED_MAX", 256, minimum=0)
if RUN_STALE_AFTER_S < 2 * RUN_HEARTBEAT_S:
    raise ImproperlyConfigured(
        "RUN_STALE_AFTER_S must be at least twice RUN_HEARTBEAT_S, or live runs look dead."
    )
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Debounced automatic analysis of open spaces, and re-sending runs that
    # stayed queued because the broker was down when they were requested.
    "aggregation-auto-runs": {"task": "aggregation.tasks.request_auto_runs", "schedule": 60.0},
    # Runs whose worker died: a live worker beats every RUN_HEARTBEAT_S whatever
    # the stage, so RUN_STALE_AFTER_S of silence means dead; checked every
    # RUN_REAP_EVERY_S, a killed worker's run is retried (once) or failed within
    # about two minutes with the defaults (aggregation.services).
    "aggregation-reap-stale-runs": {
        "task": "aggregation.tasks.reap_stale_runs",
        "schedule": float(RUN_REAP_EVERY_S),
        "kwargs": {"max_silence_s": RUN_STALE_AFTER_S},
    },
    # Pol.is imports: the same reaper for a killed worker's import, re-sending
    # imports the broker never got, and removing leftover upload folders.
    "elicitation-polis-imports": {
        "task": "elicitation.tasks.polis_imports_housekeeping",
        "schedule": 30.0,
    },
    # E-mail: spaces whose schedule opened them, closes them within 24 hours,
    # or closed them (each occurrence is sent once, however often this runs).
    "notifications-space-schedules": {
        "task": "notifications.tasks.check_space_schedules",
        "schedule": 300.0,
    },
    "notifications-moderation-digest": {
        "task": "notifications.tasks.send_moderation_digests",
        "schedule": crontab(hour=MODERATION_DIGEST_HOUR, minute=0),
    },
    # E-mails whose task message was lost to a broker outage.
    "notifications-sweep": {"task": "notifications.tasks.sweep_emails", "schedule": 600.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE

# --- Logging ---------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

POLIS_DATA_DIR = Path(env_str("POLIS_DATA_DIR") or BASE_DIR.parent / "shared" / "data" / "polis")
