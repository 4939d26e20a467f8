"""Collaboration from the browser: a contributor's post is approved, changed (the approval is voided
and the change shown), approved again and scheduled; an external reviewer approves through a
link; a banned word blocks sending for approval; a mention in a comment reaches the member."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from collaboration.models import ApprovalStep, ApprovalWorkflow, Notification
from collaboration.services.rules import word_rule_create
from publishing.models import Post, Target
from tests.browser.flows import label, log_in
from tests.factories import PASSWORD, make_connected_account
from tests.fixtures import Personas

pytestmark = pytest.mark.browser


@pytest.fixture
def account(personas: Personas):
    return make_connected_account(personas.workspace, "@brand@mastodon.example")


def _compose(page: Page, slug: str, text: str) -> None:
    page.goto(f"/w/{slug}/publishing/compose/")
    page.get_by_label(re.compile("Mastodon")).first.check()
    page.get_by_label(label("Text")).fill(text)
    page.get_by_label(label("Date")).fill("2099-06-02")
    page.get_by_label(label("Time")).fill("09:00")
    page.get_by_role("button", name="Schedule", exact=True).click()


def test_approve_change_reapprove_and_comment(page: Page, new_context, personas: Personas, account) -> None:
    slug = personas.workspace.slug
    word_rule_create(workspace=personas.workspace, phrase="kilpailija", level="banned", note="Never name competitors.")

    # The contributor writes; a banned word blocks sending it for approval.
    log_in(page, personas.contributor.email, PASSWORD)
    _compose(page, slug, "Parempi kuin kilpailijan kahvi")
    expect(page.get_by_role("alert").filter(has_text="The post was not saved")).to_contain_text("banned words")
    assert not Post.objects.exists()
    page.get_by_label(label("Text")).fill("Our new coffee is here")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Sent for approval")).to_be_visible()
    post = Post.objects.get()
    assert post.targets.get().status == Target.Status.IN_REVIEW
    assert Notification.objects.filter(recipient=personas.editor, kind=Notification.Kind.APPROVAL_REQUESTED).exists()

    # The editor approves from the approvals page.
    editor = new_context().new_page()
    log_in(editor, personas.editor.email, PASSWORD)
    editor.goto(f"/w/{slug}/approvals/")
    item = editor.get_by_role("listitem").filter(has_text="Our new coffee is here")
    item.get_by_role("button", name="Approve").click()
    expect(editor.get_by_role("status").filter(has_text="Approved")).to_be_visible()
    assert post.targets.get().status == Target.Status.SCHEDULED

    # The contributor changes the text: the approval is voided and the change shown.
    page.goto(f"/w/{slug}/publishing/posts/{post.pk}/edit/")
    page.get_by_label(label("Text")).fill("Our new coffee is here today")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Sent for approval")).to_be_visible()
    assert post.targets.get().status == Target.Status.IN_REVIEW
    editor.goto(f"/w/{slug}/publishing/posts/{post.pk}/")
    panel = editor.locator("#approval")
    expect(panel.locator("ins")).to_have_text("today")
    panel.get_by_role("button", name="Approve").click()
    expect(editor.get_by_role("status").filter(has_text="Approved")).to_be_visible()
    assert post.targets.get().status == Target.Status.SCHEDULED

    # A comment that mentions the contributor reaches them in the app and by e-mail.
    mail.outbox.clear()
    timeline = editor.locator("#timeline")
    timeline.get_by_label("Add a comment").fill("@contributor nice work, ship it")
    timeline.get_by_role("button", name="Comment").click()
    expect(editor.locator("#timeline")).to_contain_text("nice work, ship it")
    assert Notification.objects.filter(recipient=personas.contributor, kind=Notification.Kind.MENTION).exists()
    assert [message.to for message in mail.outbox] == [[personas.contributor.email]]
    page.goto(f"/w/{slug}/notifications/")
    expect(page.get_by_text(re.compile("mentioned you"))).to_be_visible()


def test_an_external_reviewer_approves_without_an_account(page: Page, personas: Personas, account) -> None:
    workflow = ApprovalWorkflow.objects.create(workspace=personas.workspace, name="Client review")
    ApprovalStep.objects.create(
        workflow=workflow, kind=ApprovalStep.Kind.EXTERNAL, external_emails="client@example.com"
    )
    log_in(page, personas.editor.email, PASSWORD)
    mail.outbox.clear()
    _compose(page, personas.workspace.slug, "For the client to approve")
    expect(page.get_by_role("status").filter(has_text="Sent for approval")).to_be_visible()
    [message] = [m for m in mail.outbox if m.to == ["client@example.com"]]
    path = re.search(r"/review/\S+/", message.body).group(0)

    page.context.clear_cookies()  # the reviewer has no account
    page.goto(path)
    expect(page.get_by_role("heading", level=2)).to_have_text("For the client to approve")
    page.get_by_label("Your name").fill("Clara Client")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(re.compile("You approved this"))).to_be_visible()
    assert Post.objects.get().targets.get().status == Target.Status.SCHEDULED
