"""Approvals: who must approve, who may, what voids an approval, external review links, expiry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from collaboration.models import ApprovalRequest, ApprovalStep, ApprovalWorkflow, Notification, PostActivity, ReviewLink
from collaboration.services import approvals
from publishing.models import Campaign, Post, Target
from publishing.services import engine
from publishing.services.posts import PostInput, When, post_save, targets_reschedule
from smm.accounts.models import AccountLevel, AccountPermission, AuditEvent, Membership
from tests.factories import make_connected_account, make_member
from tests.fixtures import Personas

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
AT = datetime(2026, 6, 2, 9, 0)  # noqa: DTZ001 - a wall time


@pytest.fixture(autouse=True)
def _frozen(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def account(personas: Personas):
    return make_connected_account(personas.workspace)


def _workflow(personas: Personas, *steps: dict, **scope) -> ApprovalWorkflow:
    workflow = ApprovalWorkflow.objects.create(workspace=personas.workspace, name="Review", **scope)
    for position, step in enumerate(steps):
        members = step.pop("members", [])
        created = ApprovalStep.objects.create(workflow=workflow, position=position, **step)
        created.members.set(members)
    return workflow


def _submit(personas: Personas, account, *, who: str = "contributor", text: str = "Spring sale", when=When.AT) -> Post:
    return post_save(
        membership=personas.membership(getattr(personas, who)),
        data=PostInput(text=text, accounts=[account]),
        when=when,
        at_local=AT,
        zone="UTC",
    )


def _pending(post: Post) -> ApprovalRequest:
    return post.approval_requests.get(status=ApprovalRequest.Status.PENDING)


def test_a_contributors_post_waits_for_an_editor_and_then_is_scheduled(
    personas: Personas, account, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post = _submit(personas, account)
    assert post.targets.get().status == Target.Status.IN_REVIEW
    request = _pending(post)
    notified = set(
        Notification.objects.filter(kind=Notification.Kind.APPROVAL_REQUESTED).values_list(
            "recipient__email", flat=True
        )
    )
    assert notified == {"owner@example.com", "admin@example.com", "editor@example.com"}
    assert {message.to[0] for message in mail.outbox} == notified
    # The author cannot approve their own post; a viewer cannot either.
    assert not approvals.can_decide(personas.membership(personas.contributor), request)
    assert not approvals.can_decide(personas.membership(personas.viewer), request)
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approval_decide(request=request, decision="approve", membership=personas.membership(personas.editor))
    target = post.targets.get()
    assert target.status == Target.Status.SCHEDULED
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED and post.approved_hash
    assert Notification.objects.filter(kind=Notification.Kind.APPROVAL_DECIDED, recipient=personas.contributor).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPROVAL_APPROVED, actor=personas.editor).exists()


def test_a_change_after_approval_voids_it_with_a_diff(personas: Personas, account) -> None:
    post = _submit(personas, account)
    approvals.approval_decide(
        request=_pending(post), decision="approve", membership=personas.membership(personas.editor)
    )
    post = post_save(
        membership=personas.membership(personas.contributor),
        data=PostInput(text="Spring sale starts today", accounts=[account]),
        when=When.AT,
        post=post,
        at_local=AT,
        zone="UTC",
    )
    assert post.targets.get().status == Target.Status.IN_REVIEW
    request = _pending(post)
    [change] = request.diff
    assert change["field"] == "Text"
    assert ["insert", "starts today"] in change["words"]
    assert PostActivity.objects.filter(post=post, kind=PostActivity.Kind.VOIDED).exists()
    # Moving the time is a change too.
    approvals.approval_decide(request=request, decision="approve", membership=personas.membership(personas.editor))
    targets_reschedule(
        membership=personas.membership(personas.editor),
        targets=list(post.targets.all()),
        at_local=datetime(2026, 6, 3, 9, 0),  # noqa: DTZ001
        zone="UTC",
    )
    moved = _pending(post)
    assert [change["field"] for change in moved.diff] == [f"Time on {account}"]
    assert post.targets.get().status == Target.Status.IN_REVIEW


def test_rejecting_needs_a_comment_and_returns_the_post_to_draft(personas: Personas, account) -> None:
    post = _submit(personas, account)
    request = _pending(post)
    with pytest.raises(ValidationError, match="Say why"):
        approvals.approval_decide(request=request, decision="reject", membership=personas.membership(personas.editor))
    approvals.approval_decide(
        request=request, decision="reject", comment="Wrong date", membership=personas.membership(personas.editor)
    )
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.REJECTED
    assert post.targets.get().status == Target.Status.DRAFT
    assert PostActivity.objects.filter(post=post, kind=PostActivity.Kind.REJECTED, data__comment="Wrong date").exists()


def test_ordered_steps_with_all_members(personas: Personas, account) -> None:
    editor, admin = personas.membership(personas.editor), personas.membership(personas.admin)
    _workflow(
        personas,
        {"kind": ApprovalStep.Kind.MEMBERS, "members": [editor, admin], "rule": ApprovalStep.Rule.ALL},
        {"kind": ApprovalStep.Kind.ROLE, "role": Membership.Role.OWNER},
    )
    post = _submit(personas, account, who="editor")  # editors need approval too when a workflow applies
    request = _pending(post)
    assert not approvals.can_decide(editor, request)  # own post
    approvals.approval_decide(request=request, decision="approve", membership=admin)
    request.refresh_from_db()
    assert request.current_step == 0  # "all": the editor is the author and cannot approve...
    # ...so that workflow cannot be passed by this author: the owner is not in step 1.
    assert not approvals.can_decide(personas.membership(personas.owner), request)


def test_approvers_need_the_publish_level_on_every_account(personas: Personas, account) -> None:
    other = make_connected_account(personas.workspace)
    editor = personas.membership(personas.editor)
    AccountPermission.objects.create(membership=editor, account=other, level=AccountLevel.VIEW)
    post = post_save(
        membership=personas.membership(personas.contributor),
        data=PostInput(text="Two accounts", accounts=[account, other]),
        when=When.AT,
        at_local=AT,
        zone="UTC",
    )
    request = _pending(post)
    assert not approvals.can_decide(editor, request)
    assert approvals.can_decide(personas.membership(personas.admin), request)
    with pytest.raises(PermissionDenied):
        approvals.approval_decide(request=request, decision="approve", membership=editor)


def test_campaign_and_account_workflows_both_apply(personas: Personas, account) -> None:
    campaign = Campaign.objects.create(workspace=personas.workspace, name="Legal review")
    _workflow(personas, {"kind": ApprovalStep.Kind.ROLE, "role": Membership.Role.ADMIN}, campaign=campaign)
    _workflow(personas, {"kind": ApprovalStep.Kind.ROLE, "role": Membership.Role.OWNER}, account=account)
    post = post_save(
        membership=personas.membership(personas.editor),
        data=PostInput(text="Terms changed", accounts=[account], campaign=campaign),
        when=When.AT,
        at_local=AT,
        zone="UTC",
    )
    assert [step["role"] for step in _pending(post).steps] == ["admin", "owner"]


def test_no_workflow_means_editors_publish_directly(personas: Personas, account) -> None:
    post = _submit(personas, account, who="editor")
    assert post.targets.get().status == Target.Status.SCHEDULED
    assert not post.approval_requests.exists()


def test_an_external_reviewer_approves_through_the_link(
    client, personas: Personas, account, django_capture_on_commit_callbacks
) -> None:
    _workflow(personas, {"kind": ApprovalStep.Kind.EXTERNAL, "external_emails": "Client@Example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        post = _submit(personas, account, who="editor")
    [message] = [m for m in mail.outbox if m.to == ["client@example.com"]]
    found = re.search(r"http://\S+/review/\S+/", str(message.body))
    assert found is not None
    url = found.group(0)
    path = url.split("8000", 1)[1] if "8000" in url else url
    page = client.get(path)
    assert page.status_code == 200 and "Spring sale" in page.content.decode()
    request = _pending(post)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, {"request": request.pk, "decision": "approve", "name": "Clara Client"})
    assert response.status_code == 302
    assert post.targets.get().status == Target.Status.SCHEDULED
    decision = request.decisions.get()
    assert (decision.reviewer_email, decision.reviewer_name, decision.user) == (
        "client@example.com",
        "Clara Client",
        None,
    )
    used = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_LINK_USED)
    assert used.count() == 2 and {event.actor_email for event in used} == {"client@example.com"}
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.APPROVAL_APPROVED, actor_email="client@example.com"
    ).exists()


def test_a_forged_or_expired_review_link_does_nothing(client, personas: Personas, account, time_machine) -> None:
    _workflow(personas, {"kind": ApprovalStep.Kind.EXTERNAL, "external_emails": "client@example.com"})
    post = _submit(personas, account, who="editor")
    link, url = approvals.review_link_create(
        workspace=personas.workspace, email="client@example.com", requests=[_pending(post)], created_by=personas.editor
    )
    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.get(path[:-3] + "xx/").status_code == 403
    time_machine.move_to(NOW + timedelta(days=8), tick=False)
    assert client.get(path).status_code == 403
    ReviewLink.objects.filter(pk=link.pk).update(revoked=True)


def test_only_the_steps_reviewer_gets_a_link(personas: Personas, account) -> None:
    _workflow(personas, {"kind": ApprovalStep.Kind.EXTERNAL, "external_emails": "client@example.com"})
    post = _submit(personas, account, who="editor")
    with pytest.raises(ValidationError, match="not a reviewer"):
        approvals.review_link_create(
            workspace=personas.workspace, email="someone@example.com", requests=[_pending(post)], created_by=None
        )


def test_reminders_and_expiry(personas: Personas, account, time_machine, django_capture_on_commit_callbacks) -> None:
    post = _submit(personas, account)
    time_machine.move_to(NOW + timedelta(days=2), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        reminded, expired = approvals.approvals_remind_and_expire()
    assert (reminded, expired) == (1, 0)
    assert approvals.approvals_remind_and_expire() == (0, 0)  # once a day
    time_machine.move_to(NOW + timedelta(days=8), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert approvals.approvals_remind_and_expire()[1] == 1
    assert post.targets.get().status == Target.Status.DRAFT
    assert Notification.objects.filter(kind=Notification.Kind.APPROVAL_DECIDED, recipient=personas.contributor).exists()


def test_the_engine_never_publishes_an_unapproved_target(
    personas: Personas, account, fake_network, django_capture_on_commit_callbacks, time_machine
) -> None:
    post = _submit(personas, account)
    approvals.approval_decide(
        request=_pending(post), decision="approve", membership=personas.membership(personas.editor)
    )
    # Someone changes the text behind the services' back: the approval no longer covers it.
    Post.objects.filter(pk=post.pk).update(text="Something nobody approved")
    time_machine.move_to(datetime(2026, 6, 2, 9, 0, 5, tzinfo=UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        engine.targets_claim_due()
    target = post.targets.get()
    assert (target.status, target.hold_reason) == (Target.Status.HELD, Target.HoldReason.NOT_APPROVED)
    assert not fake_network.drafts


def test_the_approvals_page_and_deciding_from_it(client, personas: Personas, account) -> None:
    post = _submit(personas, account)
    client.force_login(personas.editor)
    page = client.get(reverse("collaboration:approvals", args=[personas.workspace.slug])).content.decode()
    assert "Spring sale" in page and "Waiting for you" in page
    request = _pending(post)
    url = reverse("collaboration:approval-decide", args=[personas.workspace.slug, request.pk])
    client.post(url, {"decision": "reject", "comment": "", "next": "approvals"})
    assert _pending(post)  # still pending: a rejection needs a comment
    client.post(url, {"decision": "approve", "next": "approvals"})
    assert post.targets.get().status == Target.Status.SCHEDULED
    client.force_login(personas.contributor)
    assert client.post(url, {"decision": "approve"}).status_code in (302, 403)


def test_a_member_outside_the_team_is_never_an_approver(personas: Personas, account) -> None:
    stranger = make_member(personas.other_workspace, Membership.Role.OWNER)
    post = _submit(personas, account)
    assert not approvals.can_decide(stranger, _pending(post))


def test_a_banned_word_blocks_sending_for_approval_and_is_flagged_live(client, personas: Personas, account) -> None:
    from collaboration.services.rules import word_rule_create

    word_rule_create(workspace=personas.workspace, phrase="kilpailija", level="banned", note="Never name them.")
    word_rule_create(workspace=personas.workspace, phrase="guarantee", level="warned")
    with pytest.raises(ValidationError, match="banned words"):
        _submit(personas, account, text="Parempi kuin kilpailijan tuote, guaranteed!")
    draft = _submit(personas, account, text="Parempi kuin kilpailijan tuote", when=When.DRAFT)
    assert draft.targets.get().status == Target.Status.DRAFT
    client.force_login(personas.contributor)
    check = client.post(
        reverse("publishing:compose-check", args=[personas.workspace.slug]),
        {"accounts": [account.pk], "text": "Parempi kuin Kilpailijat, guaranteed"},
    ).content.decode()
    assert "banned" in check and "kilpailija" in check.lower() and "guarantee" in check
