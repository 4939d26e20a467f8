"""A contest against the real local AT Protocol network (tests.peers.bluesky), through the pages a
member uses: what the issue's "done when" asks.

Our connected account publishes a post; the contest on it opens (the seed's hash is also posted in
the thread); three test accounts reply, one without the required keyword; a collection finds three
entries and excludes that one with its reason; after the window the draw picks a winner, the seed
is revealed, the winner is told by a reply, and docs/verify_draw.py, run as a separate program on
the downloaded list, reproduces the winner from the revealed seed."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from participation.models import Contest, ContestEntry
from participation.tasks import contest_collect_task
from publishing.models import Post, Target
from smm.lib.tz import utc_to_wall
from smm.networks.base import PermanentError, PostDraft
from smm.networks.models import ConnectedAccount
from tests.fixtures import Personas

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "verify_draw.py"


@pytest.fixture(autouse=True)
def _loopback(settings) -> None:
    settings.OUTBOUND_ALLOW_LOOPBACK = True


@pytest.fixture
def connect_account(bluesky_network):
    from smm.networks.bluesky.client import connect
    from smm.networks.bluesky.tests.conftest import ConnectedTestAccount

    def make(name: str):
        person = bluesky_network.create_account(name)
        credentials, config = connect(person.handle, person.app_password, bluesky_network.pds_url)
        return ConnectedTestAccount(account=person, credentials=credentials, config=config)

    return make


def _draft(text: str, **kwargs) -> PostDraft:
    from smm.networks.bluesky.adapter import BlueskyAdapter

    return PostDraft(text=text, idempotency_key=BlueskyAdapter.new_idempotency_key(), **kwargs)


def _wall(value) -> str:
    return utc_to_wall(value, "Europe/Helsinki").strftime("%Y-%m-%dT%H:%M")


def test_a_contest_on_a_bluesky_post_is_drawn_and_verified(
    personas: Personas, bluesky_network, connect_account, time_machine, tmp_path, django_capture_on_commit_callbacks
):
    from smm.networks.bluesky.tests.test_inbox import indexed, records

    bluesky_network.require_appview()
    brand, anna, bert, carl = (connect_account(name) for name in ("brand", "anna", "bert", "carl"))
    account = ConnectedAccount(
        workspace=personas.workspace,
        network="bluesky",
        handle=brand.account.handle,
        remote_id=brand.credentials["did"],
        config=brand.config,
    )
    account.set_credentials(brand.credentials)
    account.save()
    ours = brand.adapter().publish(_draft("Win a winter coat! Reply with #talvi to enter."))
    post = Post.objects.create(workspace=personas.workspace, author=personas.editor, text="Win a winter coat!")
    target = Target.objects.create(
        post=post,
        account=account,
        status=Target.Status.PUBLISHED,
        remote_id=ours.remote_id,
        remote_url=ours.url,
        published_at=timezone.now(),
    )
    indexed(bluesky_network, brand.account, ours.remote_id)
    client = Client()
    client.force_login(personas.editor)
    slug = personas.workspace.slug

    # The contest, through the form: the window in the workspace's zone (minutes, so from a minute ago).
    now = timezone.now()
    opens, closes = now - timedelta(minutes=2), now + timedelta(minutes=30)
    response = client.post(
        reverse("contests:new", args=[slug]),
        {
            "title": "Winter coat giveaway",
            "prize": "A winter coat",
            "targets": [str(target.pk)],
            "mechanic": "reply",
            "opens_at": _wall(opens),
            "closes_at": _wall(closes),
            "one_entry_per_person": "on",
            "exclude_staff": "on",
            "exclude_blocked": "on",
            "required_keyword": "#talvi",
            "winners_count": "1",
            "rules_text": "Reply with #talvi by the closing time. One winner, drawn at random. Organised by Acme Oy.",
            "notify_by": "reply",
            "winner_template": "Congratulations {name}, you won {prize} in {contest}!",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    contest = Contest.objects.get()
    assert client.post(reverse("contests:open", args=[slug, contest.pk])).status_code == 302
    contest.refresh_from_db()
    assert contest.state == Contest.State.OPEN and len(contest.seed_hash) == 64
    public_url = reverse("public-contests:detail", args=[slug, contest.pk])
    public = Client()
    assert contest.seed_hash in public.get(public_url).content.decode()

    # The seed's hash, posted in the contest's thread by our account.
    assert client.post(reverse("contests:commitment", args=[slug, contest.pk])).status_code == 302
    contest.refresh_from_db()
    assert contest.commitment_url
    ours_in_thread = [
        r
        for r in records(bluesky_network, brand.credentials["did"], "app.bsky.feed.post")
        if r["uri"] != ours.remote_id
    ]
    assert len(ours_in_thread) == 1 and contest.seed_hash in ours_in_thread[0]["value"]["text"]
    assert ours_in_thread[0]["value"]["reply"]["parent"]["uri"] == ours.remote_id

    # Three people reply; Carl forgets the keyword.
    entries = {
        "anna": anna.adapter().publish(_draft("Me please! #talvi", reply_to=ours.remote_id)),
        "bert": bert.adapter().publish(_draft("Count me in #Talvi", reply_to=ours.remote_id)),
        "carl": carl.adapter().publish(_draft("Me!", reply_to=ours.remote_id)),
    }

    def seen() -> bool:
        try:
            return len(brand.adapter().replies(ours.remote_id)) >= 4  # theirs and our commitment
        except PermanentError:
            return False

    bluesky_network.wait_for(seen, what="the replies to be indexed")

    # "Collect now" (queued for a worker; tasks run at once in tests), then the periodic task again.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("contests:collect", args=[slug, contest.pk])).status_code == 302
    assert contest_collect_task(contest.pk) == 0  # nothing twice
    assert contest.entries.count() == 3  # our own reply in the thread is no entry
    carl_entry = contest.entries.get(remote_id=entries["carl"].remote_id)
    assert (carl_entry.eligible, carl_entry.exclusion) == (False, ContestEntry.Exclusion.KEYWORD_MISSING)
    assert carl_entry.exclusion_detail == "“#talvi” is not in the entry."
    assert carl_entry.author_remote_id == carl.credentials["did"]
    assert carl_entry.contact is not None
    listing = client.get(reverse("contests:entries", args=[slug, contest.pk]), {"status": "excluded"}).content.decode()
    assert carl.account.handle in listing and "Required keyword missing" in listing
    for name in ("anna", "bert"):
        entry = contest.entries.get(remote_id=entries[name].remote_id)
        assert entry.eligible
        assert entry.ticket == hashlib.sha256(f"bluesky:{entries[name].remote_id}".encode()).hexdigest()

    # After the window: draw, reveal, tell the winner.
    time_machine.move_to(closes + timedelta(minutes=1), tick=True)
    assert client.post(reverse("contests:draw", args=[slug, contest.pk])).status_code == 302
    contest.refresh_from_db()
    assert contest.state == Contest.State.DRAWN
    winner = contest.winners.select_related("entry").get()
    assert winner.entry.eligible
    page = public.get(public_url).content.decode()
    assert contest.list_hash in page and winner.entry.ticket in page
    seed_shown = re.search(r'id="seed">([0-9a-f]{64})<', page)
    assert seed_shown is None  # not before the reveal
    assert client.post(reverse("contests:reveal", args=[slug, contest.pk])).status_code == 302
    contest.refresh_from_db()
    assert contest.state == Contest.State.REVEALED
    page = public.get(public_url).content.decode()
    assert contest.seed_revealed in page

    assert client.post(reverse("contests:notify", args=[slug, contest.pk])).status_code == 302
    winner.refresh_from_db()
    assert winner.notified_at is not None, winner.notify_error
    [told] = [
        r
        for r in records(bluesky_network, brand.credentials["did"], "app.bsky.feed.post")
        if r["uri"] == winner.notice_url or "Congratulations" in r["value"]["text"]
    ]
    assert told["value"]["reply"]["parent"]["uri"] == winner.entry.remote_id

    # Anyone can check: the list from the public page, the seed, the shipped script as its own program.
    downloaded = public.get(reverse("public-contests:list-txt", args=[slug, contest.pk]))
    entries_file = tmp_path / "list.txt"
    entries_file.write_bytes(downloaded.content)
    assert hashlib.sha256(downloaded.content).hexdigest() == contest.list_hash
    done = subprocess.run(  # noqa: S603 - our own script
        [
            sys.executable,
            str(SCRIPT),
            "--seed",
            contest.seed_revealed,
            "--entries",
            str(entries_file),
            "--winners",
            "1",
            "--seed-hash",
            contest.seed_hash,
            "--list-hash",
            contest.list_hash,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(2 entries)  (matches the published hash)" in done.stdout
    assert done.stdout.strip().endswith(f"1. {winner.entry.ticket}")
