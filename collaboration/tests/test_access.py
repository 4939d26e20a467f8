"""Every workspace page of this app × persona × method (see tests/access.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from collaboration.models import Notification
from tests.access import (
    ADMINS,
    ALL_MEMBERS,
    DRAFTERS,
    PUBLISHERS,
    KwargsBuilder,
    Matrix,
    cases,
    check_access,
    check_post_only,
)
from tests.access import slug_kwargs as _slug
from tests.fixtures import Personas


def _notification_of(persona: str) -> KwargsBuilder:
    """A notification of `persona` (the owner's for anonymous visitors) in the workspace."""

    def build(p: Personas) -> dict[str, object]:
        recipient = p.by_name(persona) or p.owner
        notification = Notification.objects.create(
            recipient=recipient,
            workspace=p.workspace,
            kind=Notification.Kind.PUBLISH_FAILED,
            message="A post failed.",
            url=f"/w/{p.workspace.slug}/",
        )
        return {"slug": p.workspace.slug, "notification_id": notification.pk}

    return build


def _post_in_review(p: Personas):
    from publishing.services.posts import PostInput, When, post_save
    from tests.factories import make_connected_account

    account = make_connected_account(p.workspace)
    return post_save(
        membership=p.membership(p.contributor),
        data=PostInput(text="Please approve", accounts=[account]),
        when=When.NOW,
    )


def _approval(p: Personas) -> dict[str, object]:
    post = _post_in_review(p)
    return {"slug": p.workspace.slug, "request_id": post.approval_requests.get().pk}


def _post_kwargs(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "post_id": _post_in_review(p).pk}


def _workflow(p: Personas) -> dict[str, object]:
    from collaboration.models import ApprovalWorkflow

    return {
        "slug": p.workspace.slug,
        "workflow_id": ApprovalWorkflow.objects.create(workspace=p.workspace, name="W").pk,
    }


def _comment_of(persona: str) -> KwargsBuilder:
    """A comment written by `persona` (the owner's for anonymous visitors and outsiders)."""

    def build(p: Personas) -> dict[str, object]:
        from collaboration.services.conversation import comment_add

        author = p.by_name(persona)
        member = p.membership(author) if author is not None and persona != "outsider" else p.membership(p.owner)
        comment = comment_add(post=_post_in_review(p), author=member, body="Looks good")
        return {"slug": p.workspace.slug, "comment_id": comment.pk}

    return build


def _review_link_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"email": "client@example.com", "requests": []}


def _task(p: Personas) -> dict[str, object]:
    """An open task the owner gave themselves (so a viewer may not complete it)."""
    from collaboration.services.conversation import task_save

    task = task_save(membership=p.membership(p.owner), title="Call the printer", assignee=p.owner)
    return {"slug": p.workspace.slug, "task_id": task.pk}


_WORKFLOW_POST: dict[str, object] = {
    "name": "Legal",
    "scope": "default",
    "steps-TOTAL_FORMS": "1",
    "steps-INITIAL_FORMS": "0",
    "steps-0-kind": "role",
    "steps-0-role": "admin",
    "steps-0-rule": "any",
}


def _share_item(p: Personas) -> dict[str, object]:
    from collaboration.services.sharing import share_suggestion_create

    item = share_suggestion_create(
        membership=p.membership(p.owner), url="https://acme.example/jobs", title="We are hiring", suggested_text="Join"
    )
    return {"slug": p.workspace.slug, "suggestion_id": item.pk}


def _personal_account_of(persona: str) -> KwargsBuilder:
    """A personal account of `persona` (the owner's for anonymous visitors and outsiders)."""

    def build(p: Personas) -> dict[str, object]:
        from tests.factories import make_personal_account

        user = p.by_name(persona) if persona not in ("anonymous", "outsider") else None
        account = make_personal_account(p.workspace, user or p.owner)
        return {"slug": p.workspace.slug, "account_id": account.pk}

    return build


def _share_item_and_account_of(persona: str) -> KwargsBuilder:
    """A share-ready item, and (for the form) a personal account of `persona` to share it to."""

    def build(p: Personas) -> dict[str, object]:
        return {**_share_item(p), "_account": _personal_account_of(persona)(p)["account_id"]}

    return build


def _share_data(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
    return {"text": "Proud of this team", "account": kwargs["_account"]}


_SHARE_LINK: dict[str, object] = {
    "url": "https://acme.example/jobs",
    "title": "We are hiring",
    "suggested_text": "Join us",
}


def _word_rule(p: Personas) -> dict[str, object]:
    from collaboration.services.rules import word_rule_create

    rule = word_rule_create(workspace=p.workspace, phrase="kilpailija", level="banned")
    return {"slug": p.workspace.slug, "rule_id": rule.pk}


def _objective(p: Personas) -> dict[str, object]:
    from collaboration.services.strategy import objective_create

    objective = objective_create(workspace=p.workspace, title="More applicants")
    objective_create(workspace=p.workspace, title="Fewer questions to customer service")
    return {"slug": p.workspace.slug, "objective_id": objective.pk}


def _audience(p: Personas) -> dict[str, object]:
    from collaboration.services.strategy import audience_create

    return {"slug": p.workspace.slug, "audience_id": audience_create(workspace=p.workspace, name="Students").pk}


def _strategy_section(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "section": "purpose"}


def _channel(p: Personas) -> dict[str, object]:
    return {"slug": p.workspace.slug, "account_id": p.account.pk}


def _prefixed(prefix: str, **data: str) -> Callable[[Personas, dict[str, object]], dict[str, object]]:
    """Form data for a form whose prefix names the object the builder made, e.g. "objective-<id>-title"."""

    def build(p: Personas, kwargs: dict[str, object]) -> dict[str, object]:
        key = prefix.format(**kwargs)
        return {f"{key}-{field}": value for field, value in data.items()}

    return build


_GUIDELINES: dict[str, object] = {"policy_html": "<p>Be kind.</p>", "voice": "Warm", "disclosures": "#ad"}


MATRIX: Matrix = {
    # Employee sharing: every member shares (viewers too) on their own accounts; members who can
    # publish choose what is share-ready. A personal account is its owner's alone (test_sharing.py).
    "collaboration:sharing": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:sharing-count": (_slug, {"post": (ALL_MEMBERS, {"text": "Hello"})}),
    "collaboration:sharing-link-add": (_slug, {"post": (PUBLISHERS, _SHARE_LINK)}),
    "collaboration:sharing-post-add": (_post_kwargs, {"post": (PUBLISHERS, {})}),
    "collaboration:sharing-publish": (_share_item_and_account_of("owner"), {"post": (ALL_MEMBERS, _share_data)}),
    "collaboration:sharing-copy": (_share_item, {"post": (ALL_MEMBERS, {"text": "Join"})}),
    "collaboration:sharing-deactivate": (_share_item, {"post": (PUBLISHERS, {})}),
    "collaboration:sharing-connect-mastodon": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:sharing-connect-bluesky": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:sharing-account-disconnect": (_personal_account_of("owner"), {"post": (ALL_MEMBERS, {})}),
    "collaboration:approvals": (_slug, {"get": (ALL_MEMBERS, {})}),
    # The contributor wrote the post: an author never approves their own; viewers never approve.
    "collaboration:approval-decide": (_approval, {"post": ({"owner", "admin", "editor"}, {"decision": "approve"})}),
    "collaboration:review-link-send": (_slug, {"post": (PUBLISHERS, _review_link_data)}),
    "collaboration:workflows": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:workflow-new": (_slug, {"get": (ADMINS, {}), "post": (ADMINS, _WORKFLOW_POST)}),
    "collaboration:workflow-edit": (
        _workflow,
        {"get": (ADMINS, {}), "post": (ADMINS, {**_WORKFLOW_POST, "name": "W2"})},
    ),
    "collaboration:workflow-delete": (_workflow, {"post": (ADMINS, {})}),
    # Everyone who can see a post may comment on it; only the author changes a comment.
    "collaboration:comment-add": (_post_kwargs, {"post": (ALL_MEMBERS, {"body": "Nice"})}),
    "collaboration:comment-edit": (_comment_of("owner"), {"post": (ALL_MEMBERS, {"body": "Better"})}),
    "collaboration:comment-delete": (_comment_of("owner"), {"post": (ALL_MEMBERS, {})}),
    "collaboration:notification-list": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:notification-mark-all-read": (_slug, {"post": (ALL_MEMBERS, {})}),
    "collaboration:notification-open": (_notification_of("owner"), {"post": (ALL_MEMBERS, {})}),
    # Tasks: every member sees them, members who can draft write them; a viewer may complete only a
    # task given to them (tested in test_tasks.py). Notification e-mails are each user's own choice.
    "collaboration:tasks": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:task-new": (_slug, {"get": (DRAFTERS, {}), "post": (DRAFTERS, {"title": "Book the venue"})}),
    "collaboration:task-edit": (_task, {"get": (DRAFTERS, {}), "post": (DRAFTERS, {"title": "Call the printer"})}),
    "collaboration:task-done": (_task, {"post": (DRAFTERS, {"done": "1"})}),
    "collaboration:notification-preferences": (_slug, {"post": (ALL_MEMBERS, {"email": "digest"})}),
    # The newsroom is for everyone, viewers included; its e-mail digest is the admins' to set up.
    "collaboration:newsroom": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:newsroom-digest": (
        _slug,
        {"post": (ADMINS, {"enabled": "on", "recipients": "comms@example.com"})},
    ),
    "collaboration:newsroom-digest-test": (_slug, {"post": (ADMINS, {})}),
    # Guidelines and strategy: every member reads them, owners and admins write them. Word rules:
    # members who can publish write them; everyone reads them and tries a text against them.
    "collaboration:guidelines": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:guidelines-edit": (_slug, {"get": (ADMINS, {}), "post": (ADMINS, _GUIDELINES)}),
    "collaboration:word-rules": (
        _slug,
        {
            "get": (ALL_MEMBERS, {"text": "Kilpailijan tarjous"}),
            "post": (PUBLISHERS, {"phrase": "halpa", "level": "warned"}),
        },
    ),
    "collaboration:word-rule-delete": (_word_rule, {"post": (PUBLISHERS, {})}),
    "collaboration:strategy": (_slug, {"get": (ALL_MEMBERS, {})}),
    "collaboration:strategy-section": (_strategy_section, {"post": (ADMINS, {"purpose-text": "To be found."})}),
    "collaboration:objective-create": (_slug, {"post": (ADMINS, {"new-objective-title": "More applicants"})}),
    "collaboration:objective-update": (
        _objective,
        {"post": (ADMINS, _prefixed("objective-{objective_id}", title="Many more applicants"))},
    ),
    "collaboration:objective-move": (_objective, {"post": (ADMINS, {"direction": "down"})}),
    "collaboration:objective-delete": (_objective, {"post": (ADMINS, {})}),
    "collaboration:audience-create": (_slug, {"post": (ADMINS, {"new-audience-name": "Job seekers"})}),
    "collaboration:audience-update": (
        _audience,
        {"post": (ADMINS, _prefixed("audience-{audience_id}", name="University students"))},
    ),
    "collaboration:audience-delete": (_audience, {"post": (ADMINS, {})}),
    "collaboration:channel-purpose": (
        _channel,
        {"post": (ADMINS, _prefixed("account-{account_id}", purpose="News and jobs"))},
    ),
}

# Rows whose object must belong to the persona under test: every member may open their own
# notifications only (a teammate's is a 404, tested in test_notifications.py).
PER_PERSONA: dict[str, Callable[[str], KwargsBuilder]] = {
    "collaboration:sharing-publish": _share_item_and_account_of,
    "collaboration:sharing-account-disconnect": _personal_account_of,
    "collaboration:notification-open": _notification_of,
    "collaboration:comment-edit": _comment_of,
    "collaboration:comment-delete": _comment_of,
}


def _matrix_for(persona: str) -> Matrix:
    return {
        name: (PER_PERSONA[name](persona), methods) if name in PER_PERSONA else (builder, methods)
        for name, (builder, methods) in MATRIX.items()
    }


@pytest.mark.parametrize(("name", "method", "persona"), cases(MATRIX))
def test_it_enforces_membership_and_role(personas: Personas, name: str, method: str, persona: str) -> None:
    check_access(_matrix_for(persona), personas, name, method, persona)


@pytest.mark.parametrize("name", [name for name, (_k, methods) in MATRIX.items() if "get" not in methods])
def test_it_refuses_get_on_post_only_views(personas: Personas, name: str) -> None:
    check_post_only(MATRIX, personas, name)
