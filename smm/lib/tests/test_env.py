import pytest
from django.core.exceptions import ImproperlyConfigured

from smm.lib.env import env_bool, env_int, env_list, env_str


def test_it_reads_secrets_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("SMM_TEST_SECRET_FILE", str(secret))
    assert env_str("SMM_TEST_SECRET") == "s3cret"


def test_it_fails_loudly_on_an_unreadable_secret_file(monkeypatch):
    monkeypatch.setenv("SMM_TEST_SECRET_FILE", "/nonexistent/secret")
    with pytest.raises(ImproperlyConfigured, match="SMM_TEST_SECRET_FILE"):
        env_str("SMM_TEST_SECRET")


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("off", False), ("", False)])
def test_it_parses_booleans(monkeypatch, value, expected):
    monkeypatch.setenv("SMM_TEST_FLAG", value)
    assert env_bool("SMM_TEST_FLAG", not expected) is expected


def test_it_refuses_a_malformed_boolean_and_integer(monkeypatch):
    monkeypatch.setenv("SMM_TEST_FLAG", "maybe")
    monkeypatch.setenv("SMM_TEST_INT", "ten")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SMM_TEST_FLAG", False)
    with pytest.raises(ImproperlyConfigured):
        env_int("SMM_TEST_INT", 1)


def test_it_splits_lists(monkeypatch):
    monkeypatch.setenv("SMM_TEST_LIST", "a.example, b.example,,")
    assert env_list("SMM_TEST_LIST") == ["a.example", "b.example"]
    assert env_list("SMM_TEST_MISSING", ["x"]) == ["x"]
