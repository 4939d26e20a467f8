"""Small factories that build test data through the services (no fixtures files)."""

from __future__ import annotations

import itertools

from smm.accounts import services
from smm.accounts.models import Membership, User, Workspace
from smm.networks.models import ConnectedAccount

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(email: str | None = None, **fields: object) -> User:
    email = email or f"user{next(_numbers)}@example.com"
    return User.objects.create_user(email, PASSWORD, **fields)


def make_workspace(name: str = "Acme Oy", owner: User | None = None) -> Workspace:
    return services.workspace_create(name=name, owner=owner or make_user(), language="en")


def make_member(workspace: Workspace, role: str, email: str | None = None) -> Membership:
    return Membership.objects.create(workspace=workspace, user=make_user(email), role=role)


def make_account(workspace: Workspace, handle: str | None = None, network: str = "mastodon") -> ConnectedAccount:
    return ConnectedAccount.objects.create(
        workspace=workspace, network=network, handle=handle or f"@brand{next(_numbers)}@mastodon.example"
    )


def make_connected_account(
    workspace: Workspace, handle: str | None = None, network: str = "mastodon"
) -> ConnectedAccount:
    """An account with (fake) access keys, so the publishing engine does not hold its posts."""
    account = make_account(workspace, handle, network)
    account.set_credentials({"access_token": "fake-token"})
    account.config = {"instance_url": "https://mastodon.example", "account_id": "1"}
    account.save()
    return account


def make_personal_account(workspace: Workspace, owner: User, handle: str | None = None) -> ConnectedAccount:
    """A member's own Mastodon account for employee sharing, with (fake) access keys."""
    account = ConnectedAccount(
        workspace=workspace,
        network="mastodon",
        handle=handle or f"@person{next(_numbers)}@mastodon.example",
        personal_owner=owner,
        config={"instance_url": "https://mastodon.example", "account_id": "1"},
    )
    account.set_credentials({"access_token": "fake-token"})
    account.save()
    return account
