"""Rapport's one settings module. Everything deployment-specific comes from the environment.

See docs/deploy.md for the production values.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str = "") -> str:
    """Return an environment variable, or the content of the file named by ``NAME_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "")
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env("RAPPORT_VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)


def _development_secret_key() -> str:
    """Generate a secret key once and keep it under var/ (development only)."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or _development_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "channels",
    "huey.contrib.djhuey",
    "rapport.accounts",
    "rapport.customers",
    "rapport.timeline",
    "rapport.search",
    "rapport.commerce",
    "rapport.imports",
    "rapport.demo",
    "rapport.ops",
    "rapport.helpdesk",
    "rapport.sla",
    "rapport.mail",
    "rapport.chat",
    "rapport.portal",
    "rapport.social",
    "rapport.webhooks",
    "rapport.kb",
    "rapport.assistant",
    "rapport.feedback",
    "rapport.reviews",
    "rapport.metrics",
    "rapport.improvement",
    "rapport.loyalty",
    "rapport.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rapport.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"
ASGI_APPLICATION = "rapport.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases: SQLite file under var/ by default, anything dj-database-url understands otherwise.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rapport.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))
}
# SQLite maps this much of the database file into each process (MB). Mapped pages count in
# the process's resident memory; 256 MB put a web process at 390 MB. See docs/decisions.md.
SQLITE_MMAP_MB = env_int("SQLITE_MMAP_MB", 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and the worker run beside a writer; IMMEDIATE avoids lock upgrades.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            f" PRAGMA cache_size=-65536; PRAGMA mmap_size={SQLITE_MMAP_MB * 2**20};"
            " PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: the UI speaks German and English; users choose theirs.
LANGUAGE_CODE = env("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["rapport.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Europe/Berlin")
# The currency orders are in when none is given.
RAPPORT_DEFAULT_CURRENCY = env("RAPPORT_DEFAULT_CURRENCY", "EUR")
RAPPORT_DEFAULT_COUNTRY = env("RAPPORT_DEFAULT_COUNTRY", "DE")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The project package is not an app, so its static folder must be named for the finders.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Request size limits: large bodies are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
RAPPORT_MAX_IMPORT_BYTES = env_int("RAPPORT_MAX_IMPORT_BYTES", 200 * 1024 * 1024)

# Security: safe by default, production switches on HTTPS-only cookies and HSTS.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Email: SMTP when EMAIL_HOST is set, otherwise mail is written to files under var/mail.
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_BACKEND = env("EMAIL_BACKEND", EMAIL_BACKEND)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Rapport <support@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Background jobs: Huey. SQLite storage under var/ by default; Redis when REDIS_URL is set.
REDIS_URL = env("REDIS_URL")
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "rapport",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("WORKERS", 4), "worker_type": "thread"},
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "rapport",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env_int("WORKERS", 2), "worker_type": "thread"},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Real-time delivery (live chat): Django Channels. One process keeps its groups in memory;
# with REDIS_URL every web process shares them through Redis.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Helpdesk -------------------------------------------------------------------------------
# Conversation numbers read "RAP-10023"; the token in email subjects is "[RAP-10023]".
HELPDESK_NUMBER_PREFIX = env("HELPDESK_NUMBER_PREFIX", "RAP")
# The company's own support addresses: mail from them found in a mailbox is an agent's
# message, never a customer's, and is never answered.
HELPDESK_SUPPORT_ADDRESSES = env_list("HELPDESK_SUPPORT_ADDRESSES", "support@localhost")
HELPDESK_COMPANY_NAME = env("HELPDESK_COMPANY_NAME", "Rapport Support")
# Attachments larger than this are not stored; the message keeps a note of what was dropped.
HELPDESK_MAX_ATTACHMENT_BYTES = env_int("HELPDESK_MAX_ATTACHMENT_BYTES", 20 * 2**20)
# A raw inbound message larger than this is quarantined instead of processed.
HELPDESK_MAX_MESSAGE_BYTES = env_int("HELPDESK_MAX_MESSAGE_BYTES", 40 * 2**20)
# The sender of each channel (rapport.helpdesk.delivery); a social network's adapter is one
# more entry. Web-form and phone conversations are answered by email.
HELPDESK_SENDERS = {
    "email": "rapport.mail.outbound.send_message",
    "chat": "rapport.chat.delivery.send_message",
    "social": "rapport.social.senders.send_message",
    "portal": "rapport.portal.delivery.send_message",
}

# --- Portal, social ingest, telephony, REST API and outgoing webhooks (slice portal-api) ---
# Outgoing webhooks and social reply adapters wait this long for the receiver's answer.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# A portal sign-in link works once, for this many minutes.
PORTAL_MAGIC_LINK_MINUTES = env_int("PORTAL_MAGIC_LINK_MINUTES", 15)
# Files customers upload in the portal may be at most this large.
PORTAL_MAX_UPLOAD_BYTES = env_int("PORTAL_MAX_UPLOAD_BYTES", 10 * 2**20)
# The public contact form (and sign-in link requests) accept this many submissions per hour
# from one IP address and for one email address.
PORTAL_CONTACT_RATE_LIMIT = env_int("PORTAL_CONTACT_RATE_LIMIT", 5)
# Reply adapters per social network; "*" is used for networks without their own adapter.
SOCIAL_ADAPTERS = {"*": "rapport.social.adapters.send_via_webhook"}

# --- Email transports: outbound SMTP, the SMTP listener, IMAP polling (slice mail-transport) ---
# The domain of the Message-IDs we give outgoing mail; empty: the first support address's.
HELPDESK_MAIL_DOMAIN = env("HELPDESK_MAIL_DOMAIN", "")
# A worker polling an IMAP mailbox holds it this long (renewed per batch); another skips it.
HELPDESK_IMAP_LEASE_SECONDS = env_int("HELPDESK_IMAP_LEASE_SECONDS", 300)
# Messages fetched per IMAP round trip, and the socket timeout for IMAP servers.
HELPDESK_IMAP_BATCH = env_int("HELPDESK_IMAP_BATCH", 25)
HELPDESK_IMAP_TIMEOUT = env_int("HELPDESK_IMAP_TIMEOUT", 60)
# aiosmtpd (the SMTP listener) logs every SMTP command at INFO; keep its warnings.
LOGGING["loggers"]["mail.log"] = {"level": env("SMTPD_LOG_LEVEL", "WARNING")}

# --- Live chat (slice "chat") ----------------------------------------------------------------
# Web sites allowed to embed the chat widget (scheme://host[:port], comma-separated); empty
# allows any site, since the widget lives on customers' own pages.
CHAT_ALLOWED_ORIGINS = env_list("CHAT_ALLOWED_ORIGINS")
# The longest chat message a visitor or agent may send, in characters.
CHAT_MAX_MESSAGE_CHARS = env_int("CHAT_MAX_MESSAGE_CHARS", 2000)
# A visitor may send this many messages per CHAT_RATE_WINDOW_SECONDS on one connection.
CHAT_RATE_LIMIT_MESSAGES = env_int("CHAT_RATE_LIMIT_MESSAGES", 20)
CHAT_RATE_WINDOW_SECONDS = env_int("CHAT_RATE_WINDOW_SECONDS", 60)
# New chats and offline messages per client address and 10 minutes (HTTP endpoints).
CHAT_STARTS_PER_ADDRESS = env_int("CHAT_STARTS_PER_ADDRESS", 20)
# An agent counts as online this long after their chat console last pinged (it pings every 30 s).
CHAT_PRESENCE_SECONDS = env_int("CHAT_PRESENCE_SECONDS", 90)
# A chat session nobody used for this long can no longer be resumed with its token.
CHAT_SESSION_IDLE_HOURS = env_int("CHAT_SESSION_IDLE_HOURS", 24)

# --- Mail in (inbound email pipeline) -------------------------------------------------------
# Shared secret for POST /mail/inbound/ (providers' inbound webhooks, "Authorization: Bearer
# <token>"); the endpoint is off while it is unset.
MAIL_INBOUND_TOKEN = env("MAIL_INBOUND_TOKEN")

# --- Service levels (slice "sla") -----------------------------------------------------------
# Hours after solving when the customer is asked "did this solve it?"; 0 switches it off.
SLA_FOLLOW_UP_HOURS = env_int("SLA_FOLLOW_UP_HOURS", 48)

# --- Metrics -------------------------------------------------------------------------------
# A customer with no order and no conversation for this many days counts as lost (churn).
METRICS_CHURN_INACTIVE_DAYS = env_int("METRICS_CHURN_INACTIVE_DAYS", 365)
# Email managers and administrators last week's KPIs every Monday morning (rapport/metrics/weekly.py).
METRICS_WEEKLY_REPORT = env_bool("METRICS_WEEKLY_REPORT", True)
# Customer value (rapport.analytics): the share of revenue that is margin, for the CLV.
CLV_MARGIN = float(env("CLV_MARGIN", "0.3"))

# --- Surveys (feedback) ---------------------------------------------------------------------
# A customer is asked at most once in this many days, across all surveys.
SURVEY_THROTTLE_DAYS = env_int("SURVEY_THROTTLE_DAYS", 30)
# Days a survey link stays open.
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 30)
# CSAT after a solved conversation: minutes to wait, then the customer's next contact hour.
SURVEY_CSAT_ENABLED = env_bool("SURVEY_CSAT_ENABLED", True)
SURVEY_CSAT_DELAY_MINUTES = env_int("SURVEY_CSAT_DELAY_MINUTES", 60)
# The survey after a solved conversation: "csat" or "ces".
SURVEY_AFTER_SOLVE = env("SURVEY_AFTER_SOLVE", "csat")
# CES after a self-service session whose answer the customer accepted.
SURVEY_CES_AFTER_SELF_SERVICE = env_bool("SURVEY_CES_AFTER_SELF_SERVICE", True)
# Relationship NPS (daily): customers active (an order or a conversation) within
# SURVEY_ACTIVE_DAYS and not asked for an NPS within SURVEY_NPS_DAYS.
SURVEY_NPS_ENABLED = env_bool("SURVEY_NPS_ENABLED", True)
SURVEY_NPS_DAYS = env_int("SURVEY_NPS_DAYS", 90)
SURVEY_ACTIVE_DAYS = env_int("SURVEY_ACTIVE_DAYS", 365)
# The tag of the conversation opened to follow up a low answer.
SURVEY_FOLLOW_UP_TAG = env("SURVEY_FOLLOW_UP_TAG", "survey-follow-up")
