"""Shared pytest fixtures, loaded for every test (`-p tests.fixtures` in pyproject.toml).

This plugin loads before pytest-django configures Django, so it imports models lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

# The network peers' fixtures, defined once for the whole run: a session fixture imported into two
# conftests would be two fixtures, and would start two peers.
pytest_plugins = ["tests.peers.mastodon", "tests.peers.bluesky"]

if TYPE_CHECKING:
    from smm.accounts.models import Membership, User, Workspace
    from smm.networks.models import ConnectedAccount


@dataclass
class Personas:
    """One workspace with a member of every role, plus an outsider from another workspace."""

    workspace: Workspace
    owner: User
    admin: User
    editor: User
    contributor: User
    viewer: User
    outsider: User
    other_workspace: Workspace
    account: ConnectedAccount
    other_account: ConnectedAccount

    def membership(self, user: User) -> Membership:
        from smm.accounts.models import Membership

        return Membership.objects.get(workspace=self.workspace, user=user)

    def by_name(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONA_NAMES = ["owner", "admin", "editor", "contributor", "viewer", "outsider", "anonymous"]


@pytest.fixture
def personas(db: None) -> Personas:
    from smm.accounts.models import Membership
    from tests.factories import make_account, make_member, make_user, make_workspace

    owner = make_user("owner@example.com", full_name="Olivia Owner")
    workspace = make_workspace("Acme Oy", owner=owner)
    outsider = make_user("outsider@example.com", full_name="Otto Outsider")
    other = make_workspace("Rival Oy", owner=outsider)
    return Personas(
        workspace=workspace,
        owner=owner,
        admin=make_member(workspace, Membership.Role.ADMIN, "admin@example.com").user,
        editor=make_member(workspace, Membership.Role.EDITOR, "editor@example.com").user,
        contributor=make_member(workspace, Membership.Role.CONTRIBUTOR, "contributor@example.com").user,
        viewer=make_member(workspace, Membership.Role.VIEWER, "viewer@example.com").user,
        outsider=outsider,
        other_workspace=other,
        account=make_account(workspace, "@acme@mastodon.example"),
        other_account=make_account(other, "@rival@mastodon.example"),
    )


@pytest.fixture
def fake_network(monkeypatch: pytest.MonkeyPatch) -> object:
    """The publishing engine talks to an in-memory network (tests/fake_network.py) instead of a real one."""
    from tests.fake_network import install

    return install(monkeypatch)


@pytest.fixture(autouse=True)
def _fresh_rate_limit_memory() -> None:
    """Each test starts without what earlier tests' calls taught this process about rate limits."""
    from smm.lib import ratelimit

    ratelimit._clear.clear()
