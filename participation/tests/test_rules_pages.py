"""The inbox rule pages: building a rule from the form, trying it on recent items, the list with firings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from participation.models import Conversation, InboxItem, InboxRule, InboxTag, RuleFiring, SavedReply
from participation.services.rules import rules_run
from participation.tests.inbox_data import make_item
from smm.accounts.models import AccountLevel, AccountPermission
from tests.factories import make_account
from tests.fixtures import Personas


def _url(personas: Personas, name: str, *args: object) -> str:
    return reverse(f"participation:{name}", args=[personas.workspace.slug, *args])


def _hide_account_from_editor(personas: Personas):
    """A second account of the workspace, on which the editor has no access at all."""
    hidden = make_account(personas.workspace, "@secret@bsky.example", network="bluesky")
    AccountPermission.objects.create(
        membership=personas.membership(personas.editor), account=hidden, level=AccountLevel.NONE
    )
    return hidden


def test_a_rule_built_on_the_page_is_stored_as_the_rule_engine_reads_it(client, personas: Personas) -> None:
    tag = InboxTag.objects.create(workspace=personas.workspace, name="Refunds")
    saved = SavedReply.objects.create(workspace=personas.workspace, title="Refund help", body="Hi {author_name}")
    client.force_login(personas.editor)
    form = client.get(_url(personas, "rule-new")).content.decode()
    assert "Refunds" in form and "Refund help" in form and "Our reply" not in form  # types: never "ours"
    assert "At most once per author per day" in form
    response = client.post(
        _url(personas, "rule-new"),
        {
            "name": " Refund requests ",
            "position": "3",
            "enabled": "on",
            "words": "refund\n  money back  \nREFUND\n\n",
            "authors": "@anna@fake.example",
            "accounts": [str(personas.account.pk)],
            "networks": ["mastodon"],
            "kinds": ["direct", "mention"],
            "sentiments": ["negative"],
            "languages": ["fi", "en"],
            "other_languages": "DE, et",
            "tag": str(tag.pk),
            "assign": str(personas.editor.pk),
            "priority": "2",
            "notify": [str(personas.admin.pk), str(personas.owner.pk)],
            "reply": str(saved.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = InboxRule.objects.get()
    assert (rule.name, rule.position, rule.enabled, rule.created_by) == ("Refund requests", 3, True, personas.editor)
    assert rule.conditions == {
        "words": ["refund", "money back"],
        "authors": ["@anna@fake.example"],
        "accounts": [personas.account.pk],
        "networks": ["mastodon"],
        "kinds": ["direct", "mention"],
        "sentiments": ["negative"],
        "languages": ["fi", "en", "de", "et"],
    }
    assert rule.actions == {
        "tag": tag.pk,
        "assign": personas.editor.pk,
        "priority": 2,
        "notify": [personas.admin.pk, personas.owner.pk],
        "reply": saved.pk,
    }
    # What the form stored is what the engine runs.
    item = make_item(personas, text="I want my money back", author="anna", kind="direct", sentiment="negative")
    InboxItem.objects.filter(pk=item.pk).update(language="en")
    assert [match.rule for match in rules_run(item_ids=[item.pk])] == [rule]
    conversation = Conversation.objects.get(pk=item.conversation_id)
    assert (conversation.assignee, conversation.priority, list(conversation.tags.all())) == (personas.editor, 2, [tag])

    # Editing shows the stored values again, and saving without changes keeps them.
    form = client.get(_url(personas, "rule-edit", rule.pk)).content.decode()
    assert "money back" in form and 'value="de, et"' in form
    edited = client.post(
        _url(personas, "rule-edit", rule.pk),
        {"name": "Refunds", "position": "0", "words": "refund", "spam": "on", "hide": "on"},
    )
    assert edited.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.enabled, rule.conditions, rule.actions) == (
        "Refunds",
        False,
        {"words": ["refund"]},
        {"spam": True, "hide": True},
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Nothing to do", "position": "0", "words": "x"}, "Choose at least one thing for the rule to do."),
        ({"name": "Odd", "position": "0", "other_languages": "finnish", "spam": "on"}, "Use two-letter language"),
        ({"name": "", "position": "0", "spam": "on"}, "This field is required."),
        ({"name": "Long", "position": "0", "words": "x" * 201, "spam": "on"}, "at most 200 characters"),
        ({"name": "Tag", "position": "0", "tag": "999999"}, "Select a valid choice."),
    ],
)
def test_a_rule_the_engine_would_refuse_is_explained(client, personas: Personas, data: dict, message: str) -> None:
    client.force_login(personas.editor)
    response = client.post(_url(personas, "rule-new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not InboxRule.objects.exists()


def test_editing_keeps_the_accounts_the_member_cannot_see(client, personas: Personas) -> None:
    hidden = _hide_account_from_editor(personas)
    rule = InboxRule.objects.create(
        workspace=personas.workspace,
        name="Both accounts",
        conditions={"accounts": [personas.account.pk, hidden.pk]},
        actions={"priority": 2},
    )
    client.force_login(personas.editor)
    form = client.get(_url(personas, "rule-edit", rule.pk)).content.decode()
    assert "@secret@bsky.example" not in form
    client.post(_url(personas, "rule-edit", rule.pk), {"name": "Only ours", "position": "0", "priority": "1"})
    rule.refresh_from_db()
    assert rule.conditions == {"accounts": [hidden.pk]}  # the editor unticked theirs; the hidden one stays
    assert rule.actions == {"priority": 1}
    listing = client.get(_url(personas, "rules")).content.decode()
    assert "an account you cannot see" in listing and "@secret@bsky.example" not in listing
    # Rules choose among the accounts the member sees.
    client.post(
        _url(personas, "rule-new"), {"name": "Sneaky", "position": "0", "accounts": [str(hidden.pk)], "spam": "on"}
    )
    assert not InboxRule.objects.filter(name="Sneaky").exists()


def test_trying_a_rule_lists_the_recent_items_it_matches_with_links(client, personas: Personas) -> None:
    match = make_item(personas, text="Where is my refund?", author="anna")
    make_item(personas, text="Lovely shop", author="bert")
    make_item(personas, text="Refund please", author="carl", kind=InboxItem.Kind.LIKE)
    hidden = _hide_account_from_editor(personas)
    make_item(personas, text="Refund on the secret account", account=hidden)
    client.force_login(personas.editor)
    data = {"words": "refund", "kinds": ["mention"]}  # no name and nothing to do yet: trying is fine
    response = client.post(_url(personas, "rule-try"), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # htmx gets the results only
    assert "Where is my refund?" in html and "Lovely shop" not in html and "Refund please" not in html
    assert "secret account" not in html and "1 more is on an account you cannot see." in html
    assert _url(personas, "conversation", match.conversation_id) in html
    assert "1 of the last 200 items matches." in html
    assert not InboxRule.objects.exists() and not RuleFiring.objects.exists()  # nothing changed


def test_trying_works_without_javascript_and_keeps_what_was_typed(client, personas: Personas) -> None:
    make_item(personas, text="Where is my refund?")
    rule = InboxRule.objects.create(workspace=personas.workspace, name="Refunds", actions={"spam": True})
    client.force_login(personas.editor)
    response = client.post(_url(personas, "rule-try"), {"rule": str(rule.pk), "words": "refund", "name": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and "Where is my refund?" in page
    assert _url(personas, "rule-edit", rule.pk) in page  # saving from here changes the same rule
    assert ">\nrefund</textarea>" in page
    assert "This field is required." not in page  # the name is needed to save, not to try
    bad = client.post(_url(personas, "rule-try"), {"other_languages": "xx yyy"}, headers={"HX-Request": "true"})
    assert (
        bad.status_code == 400 and "Other languages: Use two-letter language codes (not yyy)." in bad.content.decode()
    )


def test_trying_looks_at_the_last_200_items_only(client, personas: Personas) -> None:
    old = make_item(personas, text="Refund from long ago", at=timezone.now() - timedelta(days=30))
    for number in range(200):
        make_item(personas, text=f"Hello {number}")
    client.force_login(personas.editor)
    html = client.post(_url(personas, "rule-try"), {"words": "refund"}, headers={"HX-Request": "true"}).content
    assert old.text not in html.decode() and "0 of the last 200 items match." in html.decode()


def test_the_list_counts_firings_of_the_last_week(client, personas: Personas, django_assert_max_num_queries) -> None:
    rules = [
        InboxRule.objects.create(
            workspace=personas.workspace, name=f"Rule {n}", position=n, enabled=n == 0, actions={"spam": True}
        )
        for n in range(5)
    ]
    for number in range(4):
        item = make_item(personas, text=f"Casino {number}")
        RuleFiring.objects.create(rule=rules[0], item=item)
    old = RuleFiring.objects.create(rule=rules[1], item=make_item(personas))
    RuleFiring.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    client.force_login(personas.viewer)
    with django_assert_max_num_queries(16):
        page = client.get(_url(personas, "rules")).content.decode()
    assert f'<tr id="rule-{rules[0].pk}">' in page
    assert 'data-firings="4"' in page and 'data-firings="1"' not in page
    assert "Fired in the last 7 days" in page and "mark as spam" in page
    assert _url(personas, "rule-new") not in page  # viewers read only


def test_the_form_says_which_connected_networks_can_hide_replies(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    page = client.get(_url(personas, "rule-new")).content.decode()
    assert "Mastodon cannot hide replies" in page
    make_account(personas.workspace, "@brand.bsky.social", network="bluesky")
    page = client.get(_url(personas, "rule-new")).content.decode()
    assert "Hiding works on Bluesky" in page


def test_a_rule_is_deleted(client, personas: Personas) -> None:
    rule = InboxRule.objects.create(workspace=personas.workspace, name="Old", actions={"spam": True})
    client.force_login(personas.editor)
    response = client.post(_url(personas, "rule-delete", rule.pk))
    assert response.status_code == 302 and response["Location"] == _url(personas, "rules")
    assert not InboxRule.objects.exists()


def test_a_new_rule_comes_after_the_others(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    assert 'name="position" value="0"' in client.get(_url(personas, "rule-new")).content.decode()
    InboxRule.objects.create(workspace=personas.workspace, name="Fourth", position=4, actions={"spam": True})
    assert 'name="position" value="5"' in client.get(_url(personas, "rule-new")).content.decode()
