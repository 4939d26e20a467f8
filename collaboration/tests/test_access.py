"""Every workspace page of this app × persona × method (see tests/access.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from collaboration.models import Notification
from tests.access import ADMINS, ALL_MEMBERS, PUBLISHERS, KwargsBuilder, Matrix, cases, check_access, check_post_only
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


_WORKFLOW_POST = {
    "name": "Legal",
    "scope": "default",
    "steps-TOTAL_FORMS": "1",
    "steps-INITIAL_FORMS": "0",
    "steps-0-kind": "role",
    "steps-0-role": "admin",
    "steps-0-rule": "any",
}


MATRIX: Matrix = {
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
}

# Rows whose object must belong to the persona under test: every member may open their own
# notifications only (a teammate's is a 404, tested in test_notifications.py).
PER_PERSONA: dict[str, Callable[[str], KwargsBuilder]] = {
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
