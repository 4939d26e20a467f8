"""Test override: the production settings plus speed switches. Nothing else differs."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "t" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("SMM_PLAIN_STATIC", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# A fixed test key (never used outside tests), and loopback allowed for the local network peers.
os.environ.setdefault("CREDENTIALS_KEYS", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=")
os.environ.setdefault("OUTBOUND_ALLOW_LOOPBACK", "1")

from smm.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_FAILURE_LIMIT = 3
# Static files come from the finders; there is no collected STATIC_ROOT in tests.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
