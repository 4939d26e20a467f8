"""Every workspace view × every persona × method: outsiders 404, too-low roles 403.

The table below must name every URL routed under /w/<slug>/; a new view without a row fails
`test_it_covers_every_workspace_url`.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from smm.accounts.models import Invitation, Membership
from tests.access import ADMINS, ALL_MEMBERS, Matrix, cases, check_access, check_post_only, client_for
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


def _member(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "member_id": p.membership(p.contributor).pk}


def _member_account(p: Personas) -> dict[str, object]:
    return {**_member(p), "account_id": p.account.pk}


def _invitation(p: Personas) -> dict[str, object]:
    invitation = Invitation.objects.create(
        workspace=p.workspace, email="new@example.com", role="editor", expires_at="2100-01-01T00:00:00Z"
    )
    return {"slug": p.workspace.slug, "invitation_id": invitation.pk}


def _account(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "account_id": p.account.pk}


def _avatar(p: Personas) -> dict[str, object]:
    from smm.networks.models import AccountAvatar, ConnectedAccount

    AccountAvatar.objects.create(account=p.account, source_url="https://example.com/a.png", image=b"RIFF")
    ConnectedAccount.objects.filter(pk=p.account.pk).update(avatar_version="abc123")
    return {**_account(p), "version": "abc123"}


# Workspace pages of the accounts and networks packages (see tests/access.py).
MATRIX: Matrix = {
    "workspace-dashboard": (_slug, {"get": (ALL_MEMBERS, {})}),
    "workspace-members": (_slug, {"get": (ALL_MEMBERS, {})}),
    "workspace-invite": (_slug, {"post": (ADMINS, {"email": "x@example.com", "role": "viewer"})}),
    "workspace-member": (_member, {"get": (ADMINS, {}), "post": (ADMINS, {"agency": "Mainostoimisto Oy"})}),
    "workspace-member-role": (_member, {"post": (ADMINS, {"role": "viewer"})}),
    "workspace-member-remove": (_member, {"post": (ADMINS, {})}),
    "workspace-member-account": (_member_account, {"post": (ADMINS, {"level": "10"})}),
    "workspace-invitation-revoke": (_invitation, {"post": (ADMINS, {})}),
    "workspace-account": (_account, {"get": (ALL_MEMBERS, {})}),
    "workspace-accounts": (_slug, {"get": (ALL_MEMBERS, {})}),
    "workspace-account-avatar": (_avatar, {"get": (ALL_MEMBERS, {})}),
    "workspace-connect-mastodon": (_slug, {"get": (ADMINS, {})}),
    "workspace-connect-bluesky": (_slug, {"get": (ADMINS, {})}),
    # Needs the "manage" level on the account: owners and admins by default, editors only if given it.
    "workspace-account-check": (_account, {"post": (ADMINS, {})}),
    "workspace-account-disconnect": (_account, {"post": (ADMINS, {})}),
    "workspace-settings": (
        _slug,
        {"get": (ALL_MEMBERS, {}), "post": (ADMINS, {"name": "Acme", "timezone": "UTC", "language": "en"})},
    ),
    "workspace-audit": (_slug, {"get": (ADMINS, {})}),
    "workspace-audit-export": (_slug, {"get": (ADMINS, {})}),
}


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(MATRIX, personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)


def test_it_gives_404_for_another_workspaces_objects(personas: Personas) -> None:
    """An admin of one workspace cannot reach members or accounts of another through their own slug."""
    client = client_for(personas, "owner")
    slug = personas.workspace.slug
    outsider_membership = Membership.objects.get(user=personas.outsider)
    assert client.get(reverse("workspace-member", args=[slug, outsider_membership.pk])).status_code == 404
    assert client.get(reverse("workspace-account", args=[slug, personas.other_account.pk])).status_code == 404
    url = reverse(
        "workspace-member-account", args=[slug, personas.membership(personas.editor).pk, personas.other_account.pk]
    )
    assert client.post(url, {"level": "10"}).status_code == 404


def test_it_returns_404_for_a_workspace_that_does_not_exist(personas: Personas) -> None:
    client = client_for(personas, "owner")
    assert client.get(reverse("workspace-dashboard", args=["no-such-workspace"])).status_code == 404


def _workspace_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], inside: bool, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                # /w/<slug>/ only: the public pages under /p/<slug>/ are in PUBLIC_VIEWS.
                walk(pattern.url_patterns, inside or str(pattern.pattern).startswith("w/<slug:slug>"), inner)
            elif inside and pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, False, "")
    return names


def _every_matrix() -> Matrix:
    """This file's MATRIX and every app's (each app tests its own rows)."""
    from collaboration.tests.test_access import MATRIX as COLLABORATION
    from listening.tests.test_alerts_access import MATRIX as LISTENING_ALERTS
    from listening.tests.test_dashboard_access import MATRIX as LISTENING_DASHBOARD
    from listening.tests.test_sources_access import MATRIX as LISTENING_SOURCES
    from listening.tests.test_topic_access import MATRIX as LISTENING_TOPICS
    from participation.tests.test_access import MATRIX as PARTICIPATION
    from participation.tests.test_community_access import MATRIX as COMMUNITY
    from participation.tests.test_contest_access import MATRIX as CONTESTS
    from participation.tests.test_idea_access import MATRIX as IDEAS
    from publishing.tests.test_access import MATRIX as PUBLISHING

    return {
        **MATRIX,
        **PUBLISHING,
        **COLLABORATION,
        **PARTICIPATION,
        **IDEAS,
        **CONTESTS,
        **COMMUNITY,
        **LISTENING_TOPICS,
        **LISTENING_ALERTS,
        **LISTENING_DASHBOARD,
        **LISTENING_SOURCES,
    }


def test_it_covers_every_workspace_url() -> None:
    assert _workspace_url_names() == set(_every_matrix())


# Pages of the signed-in user (not of a workspace): anonymous visitors go to the login page.
USER_VIEWS = {
    "home": "get",
    "workspace-new": "get",
    "accounts:verify": "get",
    "accounts:preferences": "get",
    "accounts:password-change": "get",
    "accounts:security": "get",
    "accounts:mfa-disable": "post",
    "accounts:backup-codes": "post",
    "mastodon-callback": "get",
}
# Open to everyone by design: signing in, password reset, invitation links, health, language.
PUBLIC_VIEWS = {
    "healthz",
    "short-link",
    "review",
    "review-media",
    "language-set",
    "accounts:login",
    "accounts:logout",
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
    "accounts:invitation-accept",
    # The public idea page (a 404 until the workspace switches it on): participation/tests/test_idea_access.py
    "public-ideas:board",
    "public-ideas:submit",
    "public-ideas:vote",
    # A contest's public rules page, its entry list and the verification script (404 for drafts):
    # participation/tests/test_contest_access.py
    "public-contests:detail",
    "public-contests:list-txt",
    "public-contests:verify-script",
    # The listening import endpoint: a bearer import token, no session (listening/tests/test_imports.py)
    "listening-import-api",
}


@pytest.mark.parametrize(("name", "method"), sorted(USER_VIEWS.items()))
def test_user_pages_need_a_sign_in(client, db, name: str, method: str) -> None:
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django's admin: staff only, covered by test_admin.py
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_url_has_an_access_expectation() -> None:
    assert _all_url_names() == set(_every_matrix()) | set(USER_VIEWS) | PUBLIC_VIEWS
