import pytest
from cryptography.fernet import Fernet

from smm.lib import crypto


def test_it_round_trips_and_hides_the_secret(settings):
    token = crypto.encrypt_json({"access_token": "s3cret-token-value"})
    assert "s3cret" not in token
    assert crypto.decrypt_json(token) == {"access_token": "s3cret-token-value"}


def test_the_first_key_encrypts_and_all_keys_decrypt(settings):
    old_key = settings.CREDENTIALS_KEYS[0]
    old_token = crypto.encrypt_json({"a": 1})
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new_key, old_key]
    assert crypto.decrypt_json(old_token) == {"a": 1}
    rotated = crypto.rotate(old_token)
    settings.CREDENTIALS_KEYS = [new_key]  # the old key is gone: only rotated values still open
    assert crypto.decrypt_json(rotated) == {"a": 1}
    with pytest.raises(crypto.CredentialsError):
        crypto.decrypt_json(old_token)


def test_development_keys_are_stable_and_valid():
    key = crypto.derive_development_key("some secret")
    assert key == crypto.derive_development_key("some secret")
    Fernet(key.encode())
