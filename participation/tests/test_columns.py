"""Saved inbox views and the column view: saving the list's filter, the columns side by side, each
refreshing itself, at a fixed number of queries per column."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participation.models import Conversation, InboxView
from participation.tests.inbox_data import make_item
from tests.fixtures import Personas


def _url(personas: Personas, name: str, *args: object) -> str:
    return reverse(f"participation:{name}", args=[personas.workspace.slug, *args])


COLUMN = '<section class="inbox-column card" id="column-'


def _column_keys(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split(COLUMN)[1:]]


def test_with_no_saved_view_the_columns_are_new_mine_and_waiting(client, personas: Personas) -> None:
    make_item(personas, text="Brand new question")
    make_item(personas, text="Assigned to the editor", conversation={"assignee": personas.editor, "status": "open"})
    make_item(personas, text="We asked them back", conversation={"status": Conversation.Status.WAITING})
    make_item(personas, text="All done", conversation={"status": Conversation.Status.CLOSED})
    client.force_login(personas.editor)
    page = client.get(_url(personas, "columns")).content.decode()
    assert _column_keys(page) == ["new", "mine", "waiting"]
    new, mine, waiting = page.split(COLUMN)[1:4]
    assert "Brand new question" in new and "Assigned to the editor" not in new
    assert "Assigned to the editor" in mine and "Brand new question" not in mine
    assert "We asked them back" in waiting
    assert "All done" not in page
    assert 'hx-trigger="every 60s"' in page and f'hx-get="{_url(personas, "columns")}?column=mine"' in page
    assert 'class="inbox-columns" tabindex="0" role="region"' in page  # scrolls sideways, also by keyboard
    assert "css/inbox-pages.css" in page


def test_saved_views_are_the_columns_own_and_shared_but_not_others_own(client, personas: Personas) -> None:
    shared = InboxView.objects.create(workspace=personas.workspace, name="Negative", query="sentiment=negative")
    own = InboxView.objects.create(
        workspace=personas.workspace, owner=personas.editor, name="My refunds", query="q=refund", position=1
    )
    InboxView.objects.create(workspace=personas.workspace, owner=personas.admin, name="Admin's own", position=2)
    InboxView.objects.create(workspace=personas.other_workspace, name="Another workspace's")
    make_item(personas, text="Terrible service", conversation={"sentiment": "negative"})
    make_item(personas, text="Where is my refund?")
    client.force_login(personas.editor)
    page = client.get(_url(personas, "columns")).content.decode()
    assert _column_keys(page) == [f"view-{shared.pk}", f"view-{own.pk}"]
    negative, refunds = page.split(COLUMN)[1:3]
    assert "Terrible service" in negative and "refund" not in negative
    assert "Where is my refund?" in refunds and "Terrible service" not in refunds
    assert "Admin&#x27;s own" not in page and "Another workspace" not in page


def test_a_column_refreshes_itself_alone_and_stops_when_its_view_is_gone(client, personas: Personas) -> None:
    view = InboxView.objects.create(workspace=personas.workspace, name="Everything", query="")
    make_item(personas, text="First question")
    client.force_login(personas.viewer)
    url = f"{_url(personas, 'columns')}?column=view-{view.pk}"
    make_item(personas, text="Second question")
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<section class="inbox-column card" id="column-view-')
    assert "<html" not in fragment and "First question" in fragment and "Second question" in fragment
    assert client.get(f"{_url(personas, 'columns')}?column=new", headers={"HX-Request": "true"}).status_code == 200
    view.delete()
    gone = client.get(url, headers={"HX-Request": "true"})
    assert gone.status_code == 286 and gone.content == b""  # htmx stops polling and removes the column
    # Another member's own view is not theirs to poll either; without htmx the whole page comes back.
    private = InboxView.objects.create(workspace=personas.workspace, owner=personas.admin, name="Private")
    url = f"{_url(personas, 'columns')}?column=view-{private.pk}"
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 286
    assert "<html" in client.get(url).content.decode()


def test_each_column_shows_its_20_newest_conversations(client, personas: Personas) -> None:
    now = timezone.now()
    for number in range(25):
        make_item(personas, text=f"Question number {number:02d}", at=now - timedelta(minutes=number))
    client.force_login(personas.editor)
    new = client.get(f"{_url(personas, 'columns')}?column=new", headers={"HX-Request": "true"}).content.decode()
    assert "Question number 00" in new and "Question number 19" in new and "Question number 20" not in new
    assert new.index("Question number 00") < new.index("Question number 19")


# The page's own queries (session, member, menus) and at most this many per column: the member's
# accounts (2), the filter's member and tag or account choices (1-2), the conversations with their tags (2).
PAGE_QUERIES = 10
COLUMN_QUERIES = 6


def test_the_columns_cost_a_fixed_number_of_queries_per_column(
    client, personas: Personas, django_assert_max_num_queries
) -> None:
    tag = personas.workspace.inbox_tags.create(name="VIP")
    queries = ["", "status=new", f"tag={tag.pk}", "assignee=me", "q=question", f"account={personas.account.pk}"]
    views = [
        InboxView.objects.create(workspace=personas.workspace, name=f"View {position}", query=query, position=position)
        for position, query in enumerate(queries)
    ]
    client.force_login(personas.editor)
    url = _url(personas, "columns")

    def add_conversations(count: int) -> None:
        for number in range(count):
            item = make_item(personas, text=f"A question {number}", conversation={"assignee": personas.editor})
            item.conversation.tags.add(tag)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add_conversations(3)
    few = page_queries()
    add_conversations(30)
    assert page_queries() == few  # more conversations, the same queries
    with django_assert_max_num_queries(PAGE_QUERIES + COLUMN_QUERIES * len(views)):
        page = client.get(url).content.decode()
    assert _column_keys(page) == [f"view-{view.pk}" for view in views]
    for view in views:  # one column refreshing itself
        with django_assert_max_num_queries(PAGE_QUERIES + COLUMN_QUERIES):
            client.get(f"{url}?column=view-{view.pk}", headers={"HX-Request": "true"})


def test_the_inbox_offers_to_save_its_filter(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    page = client.get(_url(personas, "inbox"), {"status": "waiting", "page": "1"}).content.decode()
    assert '<details class="mb-3" id="save-view">' in page
    assert 'name="query" value="status=waiting"' in page
    assert f'action="{_url(personas, "view-new")}"' in page and 'name="shared"' in page
    client.force_login(personas.contributor)
    page = client.get(_url(personas, "inbox")).content.decode()
    assert 'id="save-view"' in page and 'name="shared"' not in page  # only members who publish share


def test_saving_a_view_keeps_only_the_filters(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    query = "?status=waiting&q=&account=&page=3&evil=1&assignee=me&sentiment=negative"
    response = client.post(_url(personas, "view-new"), {"name": "  My   waiting ", "query": query, "shared": "on"})
    view = InboxView.objects.get()
    assert (view.name, view.owner, view.query) == ("My waiting", None, "status=waiting&assignee=me&sentiment=negative")
    assert response.status_code == 302
    assert response["Location"] == f"{_url(personas, 'inbox')}?status=waiting&assignee=me&sentiment=negative"
    # Opening the saved view marks it as the current one on the list page.
    listing = client.get(response["Location"]).content.decode()
    assert 'nav-link py-1 active" href="?status=waiting&amp;assignee=me&amp;sentiment=negative"' in listing

    client.force_login(personas.contributor)
    client.post(_url(personas, "view-new"), {"name": "Mine only", "query": "assignee=me", "shared": "on"})
    own = InboxView.objects.get(name="Mine only")
    assert own.owner == personas.contributor  # contributors save views for themselves only
    assert InboxView.objects.get(name="Mine only").position > view.position


def test_a_filter_the_member_could_not_use_is_not_saved(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    response = client.post(
        _url(personas, "view-new"), {"name": "Theirs", "query": f"account={personas.other_account.pk}"}
    )
    assert response.status_code == 400 and "This filter cannot be saved" in response.content.decode()
    assert client.post(_url(personas, "view-new"), {"name": "", "query": "status=new"}).status_code == 400
    assert not InboxView.objects.exists()
    form = client.get(_url(personas, "view-new"), {"query": "status=new"}).content.decode()
    assert 'name="query" value="status=new"' in form


def test_the_views_page_lists_and_deletes_views(client, personas: Personas) -> None:
    shared = InboxView.objects.create(workspace=personas.workspace, name="Team view", query="status=new")
    own = InboxView.objects.create(workspace=personas.workspace, owner=personas.contributor, name="Contributor's")
    client.force_login(personas.contributor)
    page = client.get(_url(personas, "views")).content.decode()
    assert "Team view" in page and "Contributor&#x27;s" in page
    assert _url(personas, "view-delete", own.pk) in page and _url(personas, "view-delete", shared.pk) not in page
    assert client.post(_url(personas, "view-delete", own.pk)).status_code == 302
    assert client.post(_url(personas, "view-delete", shared.pk)).status_code == 403
    assert list(InboxView.objects.all()) == [shared]
