"""Community members: segments, the member list and page, notes, labels, the participation score,
suggested merges, merge and split. (Export and erasure: test_community_privacy.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from participation.models import (
    Contact,
    ContactIdentity,
    ContactNote,
    Contest,
    ContestEntry,
    Conversation,
    Idea,
    IdeaStatusChange,
    InboxItem,
    InboxTag,
    LedgerEntry,
    MergeDismissal,
    RewardAction,
    RewardProgramme,
    RewardRule,
    Segment,
    Sentiment,
)
from participation.services import community, rewards
from participation.tests.inbox_data import make_item
from smm.accounts.models import AccountLevel, AccountPermission, AuditEvent
from tests.access import client_for
from tests.factories import make_account
from tests.fixtures import Personas

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def person(p: Personas, name: str = "Anna Virtanen", *identities: tuple[str, str], workspace=None) -> Contact:
    """A contact with identities given as (network, handle)."""
    workspace = workspace or p.workspace
    contact = Contact.objects.create(workspace=workspace, display_name=name, last_seen_at=NOW)
    for network, handle in identities or (("mastodon", f"@anna{Contact.objects.count()}@m.example"),):
        ContactIdentity.objects.create(
            workspace=workspace,
            contact=contact,
            network=network,
            remote_id=f"{network}:{handle}",
            handle=handle,
            display_name=name,
            profile_url=f"https://{network}.example/{handle}",
        )
    return contact


def item_of(p: Personas, contact: Contact, **fields) -> InboxItem:
    item = make_item(p, **fields)
    item.contact = contact
    item.identity = contact.identities.first()
    item.save(update_fields=["contact", "identity"])
    Conversation.objects.filter(pk=item.conversation_id).update(contact=contact)
    return item


def contest(p: Personas) -> Contest:
    return Contest.objects.create(
        workspace=p.workspace,
        title="Summer draw",
        prize="A mug",
        rules_text="Reply to enter.",
        opens_at=NOW - timedelta(days=7),
        closes_at=NOW + timedelta(days=7),
    )


def entry_of(p: Personas, contact: Contact, the_contest: Contest, *, remote_id: str = "e1") -> ContestEntry:
    identity = contact.identities.first()
    assert identity is not None
    return ContestEntry.objects.create(
        contest=the_contest,
        network=identity.network,
        remote_id=remote_id,
        author_remote_id=identity.remote_id,
        author_handle=identity.handle,
        author_name=contact.display_name,
        contact=contact,
        text="Count me in!",
        posted_at=NOW - timedelta(days=1),
        ticket="a" * 64,
    )


# Segments ----------------------------------------------------------------------------------------
def test_the_built_in_segments_are_made_once_per_workspace(personas: Personas) -> None:
    first = community.segments_ensure(personas.workspace)
    again = community.segments_ensure(personas.workspace)
    assert {s.builtin for s in first} == {"advocates", "critics", "customers", "journalists"}
    assert [s.pk for s in first] == [s.pk for s in again]
    assert not Segment.objects.filter(workspace=personas.other_workspace).exists()
    own = community.segment_create(workspace=personas.workspace, name="Beta  testers", color="#198754")
    assert own.name == "Beta testers"
    with pytest.raises(ValidationError):
        community.segment_create(workspace=personas.workspace, name="beta testers")
    with pytest.raises(ValidationError):
        community.segment_delete(segment=first[0])
    community.segment_delete(segment=own)


def test_the_segments_page_adds_and_deletes_the_teams_own(personas: Personas) -> None:
    client = client_for(personas, "editor")
    slug = personas.workspace.slug
    response = client.post(reverse("community:segment-new", args=[slug]), {"name": "Beta testers", "color": "#198754"})
    assert response.status_code == 302
    segment = Segment.objects.get(workspace=personas.workspace, name="Beta testers")
    page = client.get(reverse("community:segments", args=[slug])).content.decode()
    assert "Beta testers" in page and "Journalists" in page
    bad = client.post(reverse("community:segment-new", args=[slug]), {"name": "beta testers", "color": "#198754"})
    assert bad.status_code == 400 and "already a segment" in bad.content.decode()
    builtin = Segment.objects.get(workspace=personas.workspace, builtin="critics")
    client.post(reverse("community:segment-delete", args=[slug, builtin.pk]))
    assert Segment.objects.filter(pk=builtin.pk).exists()
    client.post(reverse("community:segment-delete", args=[slug, segment.pk]))
    assert not Segment.objects.filter(pk=segment.pk).exists()


# The member list ---------------------------------------------------------------------------------
def test_the_member_list_filters_and_sorts(personas: Personas) -> None:
    anna = person(personas, "Anna Virtanen", ("mastodon", "@anna@m.example"), ("bluesky", "anna.bsky.social"))
    bert = person(personas, "Bert Berg", ("mastodon", "@bert@m.example"))
    carl = person(personas, "Carl", ("mastodon", "@carl@m.example"))
    Contact.objects.filter(pk=anna.pk).update(score=12.5, last_seen_at=NOW - timedelta(days=3))
    Contact.objects.filter(pk=bert.pk).update(score=3, last_seen_at=NOW)
    Contact.objects.filter(pk=carl.pk).update(score=0, last_seen_at=None)
    advocates = community.segments_ensure(personas.workspace)[0]
    anna.segments.add(advocates)
    vip = InboxTag.objects.create(workspace=personas.workspace, name="VIP")
    bert.tags.add(vip)
    person(personas, "Anna Virtanen", workspace=personas.other_workspace)

    def names(**query: str | int) -> list[str]:
        form_values = dict(query)
        response = client_for(personas, "viewer").get(
            reverse("community:members", args=[personas.workspace.slug]), form_values
        )
        assert response.status_code == 200
        return [str(c) for c in response.context["page"]]

    assert names() == ["Anna Virtanen", "Bert Berg", "Carl"]
    assert names(sort="seen") == ["Bert Berg", "Anna Virtanen", "Carl"]
    assert names(segment=advocates.pk) == ["Anna Virtanen"]
    assert names(tag=vip.pk) == ["Bert Berg"]
    assert names(network="bluesky") == ["Anna Virtanen"]
    assert names(min_score="3") == ["Anna Virtanen", "Bert Berg"]
    assert names(q="@bert") == ["Bert Berg"]
    assert names(q="bsky") == ["Anna Virtanen"]
    # Bad input is ignored with a message on the form, never a 500.
    assert names(min_score="lots", segment="999999") == ["Anna Virtanen", "Bert Berg", "Carl"]


def test_the_member_list_takes_a_fixed_number_of_queries(personas: Personas, django_assert_max_num_queries) -> None:
    for number in range(30):
        contact = person(personas, f"Person {number}", ("mastodon", f"@p{number}@m.example"))
        contact.tags.add(InboxTag.objects.get_or_create(workspace=personas.workspace, name="Fans")[0])
    client = client_for(personas, "viewer")
    url = reverse("community:members", args=[personas.workspace.slug])
    client.get(url)  # the built-in segments are made on the first visit
    with django_assert_max_num_queries(20):  # sign-in, menu and filters included; not per member
        response = client.get(url)
    assert len(response.context["page"]) == 25 and response.context["page"].has_next()


# One member --------------------------------------------------------------------------------------
def test_the_member_page_shows_identities_interactions_and_the_formula(personas: Personas) -> None:
    anna = person(personas, "Anna Virtanen", ("mastodon", "@anna@m.example"), ("bluesky", "anna.bsky.social"))
    ContactIdentity.objects.filter(contact=anna, network="mastodon").update(previous_handles=["@anna_old@m.example"])
    ContactIdentity.objects.filter(contact=anna, network="bluesky").update(profile_url="javascript:alert(1)")
    seen = item_of(personas, anna, text="I love your shop, thank you!", sentiment=Sentiment.POSITIVE)
    secret = make_account(personas.workspace, "@secret@m.example")
    hidden = item_of(personas, anna, text="Secret account message", account=secret)
    AccountPermission.objects.create(
        membership=personas.membership(personas.viewer), account=secret, level=AccountLevel.NONE
    )

    response = client_for(personas, "viewer").get(reverse("community:member", args=[personas.workspace.slug, anna.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="https://mastodon.example/@anna@m.example" rel="nofollow noopener ugc"' in page
    assert "javascript:" not in page
    assert "@anna_old@m.example" in page
    assert "I love your shop" in page and "Secret account message" not in page
    assert reverse("participation:conversation", args=[personas.workspace.slug, seen.conversation_id]) in page
    assert hidden.pk
    owner_page = client_for(personas, "owner").get(reverse("community:member", args=[personas.workspace.slug, anna.pk]))
    assert "Secret account message" in owner_page.content.decode()
    assert "Σ weight × ½" in page and "90 days" in page
    # The viewer reads, but is offered no forms.
    assert 'action="' + reverse("community:note-add", args=[personas.workspace.slug, anna.pk]) not in page


def test_notes_are_added_and_deleted_by_their_author_only(personas: Personas) -> None:
    anna = person(personas)
    slug = personas.workspace.slug
    contributor = client_for(personas, "contributor")
    response = contributor.post(reverse("community:note-add", args=[slug, anna.pk]), {"text": "  Prefers e-mail  "})
    assert response.status_code == 302
    note = ContactNote.objects.get(contact=anna)
    assert note.text == "Prefers e-mail" and note.author == personas.contributor
    empty = contributor.post(reverse("community:note-add", args=[slug, anna.pk]), {"text": "   "})
    assert empty.status_code == 400
    url = reverse("community:note-delete", args=[slug, anna.pk, note.pk])
    assert client_for(personas, "owner").post(url).status_code == 403
    assert contributor.post(url).status_code == 302
    assert not ContactNote.objects.filter(pk=note.pk).exists()


def test_tags_and_segments_are_set_together(personas: Personas) -> None:
    anna = person(personas)
    slug = personas.workspace.slug
    critics = Segment.objects.create(workspace=personas.workspace, name="Critics of ours")
    tag = InboxTag.objects.create(workspace=personas.workspace, name="VIP")
    theirs = Segment.objects.create(workspace=personas.other_workspace, name="Theirs")
    client = client_for(personas, "editor")
    url = reverse("community:member-labels", args=[slug, anna.pk])
    assert client.post(url, {"segments": [critics.pk], "tags": [tag.pk]}).status_code == 302
    assert list(anna.segments.all()) == [critics] and list(anna.tags.all()) == [tag]
    refused = client.post(url, {"segments": [theirs.pk]})
    assert refused.status_code == 400
    assert list(anna.segments.all()) == [critics]
    assert client.post(url, {}).status_code == 302
    assert not anna.segments.exists() and not anna.tags.exists()


# The participation score -------------------------------------------------------------------------
def test_the_score_follows_the_formula(personas: Personas) -> None:
    anna = person(personas)
    item_of(personas, anna, kind=InboxItem.Kind.COMMENT, at=NOW - timedelta(days=90))  # 3 × ½ = 1.5
    item_of(personas, anna, kind=InboxItem.Kind.MENTION, sentiment=Sentiment.POSITIVE, at=NOW)  # 2 + 1
    item_of(personas, anna, kind=InboxItem.Kind.DIRECT, at=NOW - timedelta(days=180))  # 1 × ¼
    item_of(personas, anna, kind=InboxItem.Kind.MENTION, at=NOW, conversation={"spam": True})  # spam: 0
    item_of(personas, anna, kind=InboxItem.Kind.LIKE, at=NOW)  # likes weigh nothing
    ContestEntry.objects.filter(pk=entry_of(personas, anna, contest(personas)).pk).update(posted_at=NOW)  # 2
    Idea.objects.create(workspace=personas.workspace, title="Dark mode", contact=anna)  # 5 × ~1
    accepted = Idea.objects.create(workspace=personas.workspace, title="Sunday hours", contact=anna, status="done")
    IdeaStatusChange.objects.create(idea=accepted, from_status="new", to_status="done")
    IdeaStatusChange.objects.filter(idea=accepted).update(created_at=NOW - timedelta(days=90))  # 10 × ½
    Idea.objects.filter(contact=anna).exclude(pk=accepted.pk).update(created_at=NOW)

    breakdown = community.score_breakdown(anna, now=NOW)
    rows = {row.key: (row.count, round(row.points, 4)) for row in breakdown.rows}
    assert rows == {
        "comment": (1, 1.5),
        "mention": (1, 2.0),
        "direct": (1, 0.25),
        "positive": (1, 1.0),
        "contest": (1, 2.0),
        "idea": (1, 5.0),
        "accepted_idea": (1, 5.0),
    }
    assert breakdown.total == 16.75
    assert community.score_compute(contact=anna, now=NOW) == 16.75
    anna.refresh_from_db()
    assert anna.score == 16.75 and anna.score_at == NOW


def test_the_nightly_refresh_recomputes_the_active_and_fades_the_rest(personas: Personas) -> None:
    quiet = person(personas, "Quiet")
    Contact.objects.filter(pk=quiet.pk).update(
        score=8, score_at=NOW - timedelta(days=90), last_seen_at=NOW - timedelta(days=100)
    )
    busy = person(personas, "Busy")
    item_of(personas, busy, kind=InboxItem.Kind.MENTION, at=NOW)
    Contact.objects.filter(pk=busy.pk).update(score=0, score_at=NOW - timedelta(days=1), last_seen_at=NOW)

    assert community.scores_refresh(now=NOW) == 1
    quiet.refresh_from_db()
    busy.refresh_from_db()
    assert quiet.score == 4.0 and quiet.score_at == NOW  # exactly half after 90 days
    assert busy.score == 2.0 and busy.score_at == NOW


def test_the_score_is_recomputed_on_demand(personas: Personas) -> None:
    anna = person(personas)
    item_of(personas, anna, kind=InboxItem.Kind.COMMENT)
    url = reverse("community:member-score", args=[personas.workspace.slug, anna.pk])
    assert client_for(personas, "contributor").post(url).status_code == 302
    anna.refresh_from_db()
    assert 2.99 < anna.score <= 3 and anna.score_at is not None


def test_the_periodic_task_is_registered() -> None:
    from smm.accounts.management.commands.setup_periodic_tasks import SCHEDULES

    assert SCHEDULES["community-scores"][0] == "participation.tasks.community_scores_task"


# Suggested merges --------------------------------------------------------------------------------
def test_merges_are_suggested_across_networks_by_name_or_user_name(personas: Personas) -> None:
    anna_m = person(personas, "Anna Virtanen", ("mastodon", "@anna@mastodon.social"))
    anna_b = person(personas, "Änna virtanen!", ("bluesky", "virtanen.bsky.social"))
    handle_m = person(personas, "Kalle", ("mastodon", "@kalle_k@mastodon.social"))
    handle_b = person(personas, "K. K.", ("bluesky", "kallek.bsky.social"))
    # Two people of one name on the same network are not suggested.
    same_net = person(personas, "Bert Berg", ("mastodon", "@bert@a.example"))
    person(personas, "Bert Berg", ("mastodon", "@bert2@b.example"))
    # Another workspace's namesake is never suggested.
    person(personas, "Anna Virtanen", ("bluesky", "anna.bsky.social"), workspace=personas.other_workspace)

    pairs = {
        (s.first.pk, s.second.pk): s.reasons for s in community.merge_suggestions(workspace_id=personas.workspace.pk)
    }
    assert set(pairs) == {(anna_m.pk, anna_b.pk), (handle_m.pk, handle_b.pk)}
    assert pairs[(anna_m.pk, anna_b.pk)] == ["same name"]
    assert pairs[(handle_m.pk, handle_b.pk)] == ["same user name"]
    assert community.merge_suggestions(workspace_id=personas.workspace.pk, contact=same_net) == []

    community.merge_dismiss(first=anna_b, second=anna_m, user=personas.owner)
    dismissal = MergeDismissal.objects.get()
    assert (dismissal.first_id, dismissal.second_id) == (anna_m.pk, anna_b.pk)
    remaining = community.merge_suggestions(workspace_id=personas.workspace.pk)
    assert [(s.first.pk, s.second.pk) for s in remaining] == [(handle_m.pk, handle_b.pk)]


def test_a_too_common_name_suggests_nothing(personas: Personas) -> None:
    for number in range(community.MAX_GROUP + 1):
        network = "mastodon" if number % 2 else "bluesky"
        person(personas, "Matti", (network, f"m{number}.example"))
    assert community.merge_suggestions(workspace_id=personas.workspace.pk) == []


def test_the_merges_page_merges_and_dismisses(personas: Personas) -> None:
    first = person(personas, "Anna Virtanen", ("mastodon", "@anna@mastodon.social"))
    second = person(personas, "Anna Virtanen", ("bluesky", "anna.bsky.social"))
    client = client_for(personas, "editor")
    slug = personas.workspace.slug
    page = client.get(reverse("community:merges", args=[slug])).content.decode()
    assert "anna.bsky.social" in page and "Not the same person" in page
    client.post(reverse("community:merge-dismiss", args=[slug]), {"first": first.pk, "second": second.pk})
    assert "anna.bsky.social" not in client.get(reverse("community:merges", args=[slug])).content.decode()
    MergeDismissal.objects.all().delete()
    response = client.post(reverse("community:merge-pair", args=[slug]), {"first": first.pk, "second": second.pk})
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=second.pk).exists()
    assert first.identities.count() == 2
    gone = client.post(reverse("community:merge-pair", args=[slug]), {"first": first.pk, "second": second.pk})
    assert gone.status_code == 302  # a stale page: a message, not a 500


# Merge and split ---------------------------------------------------------------------------------
def test_a_merge_moves_everything_and_is_audited(personas: Personas) -> None:
    keep = person(personas, "Anna Virtanen", ("mastodon", "@anna@m.example"))
    away = person(personas, "", ("bluesky", "anna.bsky.social"))
    Contact.objects.filter(pk=away.pk).update(note="Met at the fair", last_seen_at=NOW + timedelta(days=1))
    away.refresh_from_db()
    item = item_of(personas, away, kind=InboxItem.Kind.MENTION)
    ContactNote.objects.create(workspace=personas.workspace, contact=away, author=personas.owner, text="Likes cats")
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Ambassadors")
    RewardRule.objects.create(programme=programme, action=RewardAction.CONTEST_ENTRY, points=5)
    the_contest = contest(personas)
    entry = entry_of(personas, away, the_contest)
    # Both took part in the same contest as "two people": after the merge, the award counts once.
    rewards.award(contact=keep, action=RewardAction.CONTEST_ENTRY, source=f"contest:{the_contest.pk}")
    [duplicate] = rewards.award(contact=away, action=RewardAction.CONTEST_ENTRY, source=f"contest:{the_contest.pk}")
    [other_award] = rewards.award(contact=away, action=RewardAction.CONTEST_ENTRY, source="contest:999")
    idea = Idea.objects.create(workspace=personas.workspace, title="Dark mode", contact=away)
    segment = Segment.objects.create(workspace=personas.workspace, name="Fans")
    tag = InboxTag.objects.create(workspace=personas.workspace, name="VIP")
    away.segments.add(segment)
    away.tags.add(tag)
    third = person(personas, "Anna V", ("x", "annav"))
    community.merge_dismiss(first=away, second=third, user=personas.owner)

    kept = community.contact_merge(keep=keep, merge_away=away, actor=personas.editor)

    assert kept.pk == keep.pk and not Contact.objects.filter(pk=away.pk).exists()
    assert set(keep.identities.values_list("network", flat=True)) == {"mastodon", "bluesky"}
    item.refresh_from_db()
    assert item.contact == keep and item.conversation.contact == keep
    assert keep.notes.get().text == "Likes cats"
    entry.refresh_from_db()
    idea.refresh_from_db()
    assert entry.contact == keep and idea.contact == keep
    assert list(keep.segments.all()) == [segment] and list(keep.tags.all()) == [tag]
    keep.refresh_from_db()
    assert keep.note == "Met at the fair" and keep.last_seen_at == NOW + timedelta(days=1)
    duplicate.refresh_from_db()
    other_award.refresh_from_db()
    assert duplicate.contact_id is None and other_award.contact == keep
    assert rewards.balance(contact=keep, programme=programme) == 10
    assert MergeDismissal.objects.filter(first=min(keep, third, key=lambda c: c.pk)).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONTACT_MERGED)
    assert event.actor == personas.editor and event.data["kept"] == keep.pk and event.data["merged"] == away.pk
    assert "Anna" not in str(event.data)
    with pytest.raises(ValidationError):
        community.contact_merge(keep=keep, merge_away=keep, actor=None)
    with pytest.raises(ValidationError):
        community.contact_merge(keep=keep, merge_away=person(personas, workspace=personas.other_workspace), actor=None)


def test_a_member_is_merged_by_search_from_their_page(personas: Personas) -> None:
    anna = person(personas, "Anna Virtanen", ("mastodon", "@anna@m.example"))
    other = person(personas, "A. Virtanen", ("x", "avirtanen"))
    client = client_for(personas, "editor")
    url = reverse("community:member-merge", args=[personas.workspace.slug, anna.pk])
    found = client.get(url, {"q": "avirtanen"})
    assert found.status_code == 200 and list(found.context["candidates"]) == [other]
    response = client.post(url, {"other": other.pk, "keep": "other"})
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("community:member", args=[personas.workspace.slug, other.pk]))
    assert not Contact.objects.filter(pk=anna.pk).exists()
    assert other.identities.count() == 2
    theirs = person(personas, "Theirs", workspace=personas.other_workspace)
    refused = client.post(
        reverse("community:member-merge", args=[personas.workspace.slug, other.pk]), {"other": theirs.pk}
    )
    assert refused.status_code == 400 and Contact.objects.filter(pk=theirs.pk).exists()


def test_a_split_moves_one_identity_with_its_history(personas: Personas) -> None:
    anna = person(personas, "Anna Virtanen", ("mastodon", "@anna@m.example"), ("bluesky", "anna.bsky.social"))
    mastodon = anna.identities.get(network="mastodon")
    bluesky = anna.identities.get(network="bluesky")
    kept_item = item_of(personas, anna)
    moved_item = item_of(personas, anna)
    moved_item.identity = bluesky
    moved_item.save(update_fields=["identity"])
    programme = RewardProgramme.objects.create(workspace=personas.workspace, name="Ambassadors")
    RewardRule.objects.create(programme=programme, action=RewardAction.POSITIVE_MENTION, points=2)
    [award] = rewards.award(contact=anna, action=RewardAction.POSITIVE_MENTION, source=f"item:{moved_item.pk}")
    ContactNote.objects.create(workspace=personas.workspace, contact=anna, author=personas.owner, text="Note")

    url = reverse("community:member-split", args=[personas.workspace.slug, anna.pk, bluesky.pk])
    response = client_for(personas, "editor").post(url)

    new = Contact.objects.exclude(pk=anna.pk).get(workspace=personas.workspace)
    assert response["Location"].endswith(reverse("community:member", args=[personas.workspace.slug, new.pk]))
    assert list(new.identities.all()) == [bluesky] and list(anna.identities.all()) == [mastodon]
    moved_item.refresh_from_db()
    kept_item.refresh_from_db()
    assert moved_item.contact == new and moved_item.conversation.contact == new
    assert kept_item.contact == anna and kept_item.conversation.contact == anna
    award.refresh_from_db()
    assert award.contact == new and anna.notes.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CONTACT_SPLIT).count() == 1
    # The last identity cannot be split off.
    again = client_for(personas, "editor").post(
        reverse("community:member-split", args=[personas.workspace.slug, new.pk, bluesky.pk])
    )
    assert again.status_code == 302 and new.identities.count() == 1
    assert LedgerEntry.objects.count() == 1


# The inbox's contact panel -----------------------------------------------------------------------
def test_the_conversation_panel_lists_the_persons_other_conversations(personas: Personas) -> None:
    anna = person(personas)
    open_here = item_of(personas, anna, text="First question")
    elsewhere = item_of(personas, anna, text="Second question")
    secret = make_account(personas.workspace, "@secret@m.example")
    hidden = item_of(personas, anna, text="Hidden question", account=secret)
    AccountPermission.objects.create(
        membership=personas.membership(personas.viewer), account=secret, level=AccountLevel.NONE
    )
    slug = personas.workspace.slug
    client = client_for(personas, "viewer")
    conversation_page = client.get(reverse("participation:conversation", args=[slug, open_here.conversation_id]))
    panel_url = reverse("community:member-conversations", args=[slug, anna.pk])
    assert f'hx-get="{panel_url}?exclude={open_here.conversation_id}"' in conversation_page.content.decode()
    assert reverse("community:member", args=[slug, anna.pk]) in conversation_page.content.decode()

    fragment = client.get(panel_url, {"exclude": open_here.conversation_id}).content.decode()
    assert "Second question" in fragment
    assert "First question" not in fragment and "Hidden question" not in fragment
    assert elsewhere.pk and hidden.pk
