"""Encryption at rest for connected accounts' credentials (tokens, app passwords).

CREDENTIALS_KEYS is a list of Fernet keys: the first encrypts, all decrypt, so a key is
rotated by putting a new key first and running `manage.py rotate_credentials_key`.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.encoding import force_bytes


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


def derive_development_key(secret_key: str) -> str:
    """A stable Fernet key derived from SECRET_KEY, for DEBUG runs without CREDENTIALS_KEYS."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"smm-credentials", info=b"dev").derive(
        force_bytes(secret_key)
    )
    return base64.urlsafe_b64encode(raw).decode()


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(force_bytes(key)) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_KEYS))


def encrypt_json(data: dict[str, Any]) -> str:
    return fernet().encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        value = json.loads(fernet().decrypt(force_bytes(token)))
    except InvalidToken as error:
        raise CredentialsError("credentials cannot be decrypted with the configured CREDENTIALS_KEYS") from error
    if not isinstance(value, dict):
        raise CredentialsError("stored credentials are not an object")
    return value


def rotate(token: str) -> str:
    """Re-encrypt with the first key (after a new key was put first)."""
    try:
        return fernet().rotate(force_bytes(token)).decode()
    except InvalidToken as error:
        raise CredentialsError("credentials cannot be decrypted with the configured CREDENTIALS_KEYS") from error
