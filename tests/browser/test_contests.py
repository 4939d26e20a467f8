"""A contest from the browser: created on a published post, opened (the seed's hash then shows on
the public rules page, for a visitor who is not signed in), entries collected with "Collect now",
the winner drawn after the window and the seed revealed, which the public page then shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from participation.models import Contest
from participation.tests.test_contests import install_network
from publishing.models import Post, Target
from smm.lib.tz import utc_to_wall
from tests.browser.flows import label, log_in
from tests.factories import PASSWORD
from tests.fake_inbox import START, FakeInbox
from tests.fixtures import Personas

pytestmark = pytest.mark.browser


@pytest.fixture
def box(monkeypatch) -> FakeInbox:
    return install_network(monkeypatch)


def test_run_a_contest_with_a_verifiable_draw(page: Page, new_context, personas: Personas, box: FakeInbox):
    slug = personas.workspace.slug
    post = Post.objects.create(workspace=personas.workspace, author=personas.editor, text="Win a winter coat!")
    Target.objects.create(
        post=post, account=personas.account, status=Target.Status.PUBLISHED, remote_id="our-1", published_at=START
    )
    for author in ("anna", "bert"):
        box.post(text=f"Me please, {author}!", author=author, author_id=f"id-{author}", reply_to="our-1")
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, personas.editor.email, PASSWORD)
    page.goto(f"/w/{slug}/contests/")
    page.get_by_role("link", name="New contest").click()
    page.get_by_label(label("Title")).fill("Winter coat giveaway")
    page.get_by_label(label("Prize")).fill("A winter coat")
    page.get_by_label(re.compile("Win a winter coat!")).check()
    closes = utc_to_wall(timezone.now() + timedelta(days=1), "Europe/Helsinki")
    page.get_by_label(label("Entries open")).fill(
        utc_to_wall(START - timedelta(days=1), "Europe/Helsinki").strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label(label("Entries close")).fill(closes.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(label("Rules")).fill("Reply to the post to enter. One winner, drawn at random.")
    page.get_by_role("button", name="Save contest").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    expect(page.locator("#warnings")).to_contain_text("community norms")

    page.get_by_role("button", name="Open the contest").click()
    expect(page.get_by_role("status").filter(has_text="The contest is open")).to_be_visible()
    contest = Contest.objects.get()
    expect(page.locator("#seed-hash")).to_have_text(contest.seed_hash)

    # A visitor sees the commitment on the public rules page, without signing in.
    visitor = new_context().new_page()
    visitor.goto(f"/p/{slug}/contests/{contest.pk}/")
    expect(visitor.locator("#seed-hash")).to_have_text(contest.seed_hash)
    expect(visitor.locator("#contest-rules")).to_contain_text("One winner, drawn at random.")
    expect(visitor.locator("#seed")).to_have_count(0)

    page.get_by_role("button", name="Collect now").click()
    expect(page.locator("#collect-status")).to_contain_text("2 new entries")

    # The window closes (moved in the database: the browser and the server share the clock).
    Contest.objects.filter(pk=contest.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    page.reload()
    page.get_by_role("button", name="Draw the winners").click()
    expect(page.get_by_role("status").filter(has_text="The winners were drawn")).to_be_visible()
    expect(page.locator("#winner-list li")).to_have_count(1)
    page.get_by_role("button", name="Reveal the seed").click()
    contest.refresh_from_db()
    expect(page.locator("#seed")).to_have_text(contest.seed_revealed)

    winner = contest.winners.get()
    visitor.reload()
    expect(visitor.locator("#seed")).to_have_text(contest.seed_revealed)
    expect(visitor.locator("#list-hash")).to_have_text(contest.list_hash)
    expect(visitor.locator("#public-winners")).to_contain_text(winner.entry.author_handle)
    expect(visitor.locator(".verify-command").first).to_contain_text(f"--seed {contest.seed_revealed}")
