"""Tasks: the list (mine and all, open and done, overdue), the form, marking done, and the nav badge."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.urls import reverse

from collaboration.models import Notification, NotificationPreference, Task
from collaboration.services.conversation import task_save, task_set_done
from publishing.models import Campaign, Post
from publishing.services.posts import PostInput, When, post_save
from smm.accounts.models import AccountLevel, AccountPermission, User
from tests.factories import make_account
from tests.fixtures import Personas

# A Wednesday afternoon in UTC, when it is already Thursday in Auckland.
NOW = datetime(2030, 5, 8, 13, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def _task(personas: Personas, title: str = "Call the printer", *, by: User | None = None, **fields) -> Task:
    return task_save(membership=personas.membership(by or personas.owner), title=title, **fields)


def _post(personas: Personas, text: str = "Spring sale starts", account=None) -> Post:
    return post_save(
        membership=personas.membership(personas.owner),
        data=PostInput(text=text, accounts=[account or personas.account]),
        when=When.DRAFT,
    )


def _url(personas: Personas, name: str = "collaboration:tasks", *args: object) -> str:
    return reverse(name, args=[personas.workspace.slug, *args])


def _hide_account(personas: Personas, user: User, account) -> None:
    AccountPermission.objects.create(membership=personas.membership(user), account=account, level=AccountLevel.NONE)


# The list --------------------------------------------------------------------------------------
def test_my_tasks_are_the_default_and_all_tasks_shows_everyones(client, personas: Personas) -> None:
    _task(personas, "Mine", assignee=personas.editor)
    _task(personas, "The admin's", assignee=personas.admin)
    _task(personas, "Nobody's")
    client.force_login(personas.editor)
    mine = client.get(_url(personas)).content.decode()
    assert "Mine" in mine and "The admin&#x27;s" not in mine and "Nobody&#x27;s" not in mine
    everyone = client.get(_url(personas) + "?show=all").content.decode()
    assert "Mine" in everyone and "The admin&#x27;s" in everyone and "Nobody&#x27;s" in everyone


def test_the_done_filter_shows_done_tasks_only(client, personas: Personas) -> None:
    task_set_done(task=_task(personas, "Finished", assignee=personas.owner), done=True)
    _task(personas, "Still to do", assignee=personas.owner)
    client.force_login(personas.owner)
    open_page = client.get(_url(personas)).content.decode()
    assert "Still to do" in open_page and "Finished" not in open_page
    done_page = client.get(_url(personas) + "?status=done").content.decode()
    assert "Finished" in done_page and "Still to do" not in done_page


def test_open_tasks_come_by_due_date_with_undated_ones_last(client, personas: Personas, clock) -> None:
    _task(personas, "Undated", assignee=personas.owner)
    _task(personas, "Later", assignee=personas.owner, due_on=date(2030, 5, 20))
    _task(personas, "Sooner", assignee=personas.owner, due_on=date(2030, 5, 10))
    client.force_login(personas.owner)
    page = client.get(_url(personas)).content.decode()
    assert page.index("Sooner") < page.index("Later") < page.index("Undated")


def test_overdue_means_due_before_today_in_the_users_time_zone(client, personas: Personas, clock) -> None:
    _task(personas, "Due yesterday", assignee=personas.owner, due_on=date(2030, 5, 7))
    _task(personas, "Due today", assignee=personas.owner, due_on=date(2030, 5, 8))
    client.force_login(personas.owner)
    page = client.get(_url(personas)).content.decode()
    assert page.count("Overdue") == 1 and page.count("list-group-item-danger") == 1
    assert page.index("list-group-item-danger") < page.index("Due yesterday") < page.index("Due today")
    # In Auckland it is already Thursday the 9th: Wednesday's task is late too.
    User.objects.filter(pk=personas.owner.pk).update(timezone="Pacific/Auckland")
    assert client.get(_url(personas)).content.decode().count("Overdue") == 2


def test_a_done_task_is_never_overdue(client, personas: Personas, clock) -> None:
    task = _task(personas, "Late but done", assignee=personas.owner, due_on=date(2030, 5, 1))
    task_set_done(task=task, done=True)
    client.force_login(personas.owner)
    assert "Overdue" not in client.get(_url(personas) + "?status=done").content.decode()


def test_the_list_pages_by_25_at_a_fixed_cost(client, personas: Personas, django_assert_num_queries) -> None:
    campaign = Campaign.objects.create(workspace=personas.workspace, name="Spring")
    post = _post(personas)
    for number in range(30):
        _task(personas, f"Task {number}", assignee=personas.owner, post=post, campaign=None if number % 2 else campaign)
    client.force_login(personas.owner)
    # session, user, two 2FA device checks, membership, visible accounts (accounts and permissions),
    # paginator count, page rows (with assignee, creator, post, campaign and the post's visibility),
    # workspace switcher, navigation counts, publishing pause banner.
    with django_assert_num_queries(12):
        response = client.get(_url(personas) + "?show=all")
    page = response.content.decode()
    assert "Page 1 of 2" in page and page.count('id="task-') == 25


def test_a_task_links_to_its_post_campaign_and_page(client, personas: Personas) -> None:
    campaign = Campaign.objects.create(workspace=personas.workspace, name="Spring", color="#198754")
    post = _post(personas, "Spring sale starts")
    _task(personas, "Proofread", assignee=personas.owner, post=post)
    _task(personas, "Brief the agency", assignee=personas.owner, campaign=campaign, link="/w/acme-oy/publishing/")
    client.force_login(personas.owner)
    page = client.get(_url(personas)).content.decode()
    assert reverse("publishing:post-detail", args=[personas.workspace.slug, post.pk]) in page
    assert "Spring sale starts" in page
    assert f"{reverse('publishing:posts', args=[personas.workspace.slug])}?campaign={campaign.pk}" in page
    assert 'data-color="#198754"' in page
    assert 'href="/w/acme-oy/publishing/"' in page


def test_a_post_the_member_cannot_see_is_not_shown(client, personas: Personas) -> None:
    hidden_account = make_account(personas.workspace, "@secret@mastodon.example")
    post = _post(personas, "Secret launch", account=hidden_account)
    _task(personas, "Check the launch", assignee=personas.editor, post=post)
    _hide_account(personas, personas.editor, hidden_account)
    client.force_login(personas.editor)
    page = client.get(_url(personas)).content.decode()
    assert "Check the launch" in page
    assert "Secret launch" not in page
    assert reverse("publishing:post-detail", args=[personas.workspace.slug, post.pk]) not in page
    assert "A post on an account you cannot see" in page


def test_a_link_that_is_not_on_this_site_is_not_rendered(client, personas: Personas) -> None:
    task = _task(personas, "Odd", assignee=personas.owner)
    Task.objects.filter(pk=task.pk).update(link="javascript:alert(1)")  # as the admin could
    client.force_login(personas.owner)
    assert "javascript:" not in client.get(_url(personas)).content.decode()


def test_viewers_see_tasks_but_no_edit_links_and_no_new_button(client, personas: Personas) -> None:
    task = _task(personas, "Write the newsletter", assignee=personas.owner)
    client.force_login(personas.viewer)
    page = client.get(_url(personas) + "?show=all").content.decode()
    assert "Write the newsletter" in page
    assert _url(personas, "collaboration:task-edit", task.pk) not in page
    assert _url(personas, "collaboration:task-new") not in page
    assert _url(personas, "collaboration:task-done", task.pk) not in page


# Creating and editing --------------------------------------------------------------------------
def test_a_new_task_is_saved_and_its_assignee_notified(
    client, personas: Personas, django_capture_on_commit_callbacks
) -> None:
    campaign = Campaign.objects.create(workspace=personas.workspace, name="Spring")
    client.force_login(personas.editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(personas, "collaboration:task-new"),
            {
                "title": "  Book the venue ",
                "description": "Two rooms.",
                "assignee": personas.contributor.pk,
                "due_on": "2030-05-20",
                "campaign": campaign.pk,
                "link": "/w/acme-oy/publishing/",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == _url(personas) + "?show=all"
    task = Task.objects.get()
    assert (task.title, task.description, task.assignee, task.due_on) == (
        "Book the venue",
        "Two rooms.",
        personas.contributor,
        date(2030, 5, 20),
    )
    assert (task.campaign, task.post, task.link, task.created_by) == (
        campaign,
        None,
        "/w/acme-oy/publishing/",
        personas.editor,
    )
    notification = Notification.objects.get(kind=Notification.Kind.TASK_ASSIGNED)
    assert notification.recipient == personas.contributor and "Book the venue" in notification.message
    assert notification.url == _url(personas)
    assert [message.to for message in mail.outbox] == [["contributor@example.com"]]


def test_the_form_offers_the_creator_as_assignee_and_only_members(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    page = client.get(_url(personas, "collaboration:task-new")).content.decode()
    assert f'<option value="{personas.editor.pk}" selected>' in page
    assert "viewer@example.com" in page  # viewers may be given tasks too
    assert "outsider@example.com" not in page
    response = client.post(_url(personas, "collaboration:task-new"), {"title": "X", "assignee": personas.outsider.pk})
    assert response.status_code == 400
    assert not Task.objects.exists()


def test_the_post_choices_are_the_posts_the_member_can_see(client, personas: Personas) -> None:
    hidden_account = make_account(personas.workspace, "@secret@mastodon.example")
    visible = _post(personas, "Visible post")
    hidden = _post(personas, "Secret launch", account=hidden_account)
    _hide_account(personas, personas.editor, hidden_account)
    other_workspace_post = post_save(
        membership=personas.other_workspace.memberships.get(),
        data=PostInput(text="Rival's post", accounts=[personas.other_account]),
        when=When.DRAFT,
    )
    client.force_login(personas.editor)
    page = client.get(_url(personas, "collaboration:task-new")).content.decode()
    assert "Visible post" in page and "Secret launch" not in page and "Rival" not in page
    for post in (hidden, other_workspace_post):
        response = client.post(_url(personas, "collaboration:task-new"), {"title": "X", "post": post.pk})
        assert response.status_code == 400
    assert not Task.objects.exists()
    response = client.post(_url(personas, "collaboration:task-new"), {"title": "X", "post": visible.pk})
    assert response.status_code == 302
    assert Task.objects.get().post == visible


def test_a_task_links_to_a_post_or_a_campaign_not_both(client, personas: Personas) -> None:
    campaign = Campaign.objects.create(workspace=personas.workspace, name="Spring")
    client.force_login(personas.owner)
    response = client.post(
        _url(personas, "collaboration:task-new"),
        {"title": "X", "post": _post(personas).pk, "campaign": campaign.pk},
    )
    assert response.status_code == 400
    assert "not both" in response.content.decode()


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_the_link_must_be_a_page_in_smm(client, personas: Personas, link: str) -> None:
    client.force_login(personas.owner)
    response = client.post(_url(personas, "collaboration:task-new"), {"title": "X", "link": link})
    assert response.status_code == 400
    assert not Task.objects.exists()


def test_editing_changes_the_task_and_notifies_only_a_new_assignee(
    client, personas: Personas, django_capture_on_commit_callbacks
) -> None:
    task = _task(personas, "Call the printer", assignee=personas.editor)
    Notification.objects.all().delete()
    url = _url(personas, "collaboration:task-edit", task.pk)
    client.force_login(personas.owner)
    assert 'value="Call the printer"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"title": "Call the printer today", "assignee": personas.editor.pk})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.title == "Call the printer today"
    assert not Notification.objects.exists()  # the same assignee as before
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"title": "Call the printer today", "assignee": personas.contributor.pk})
    task.refresh_from_db()
    assert task.assignee == personas.contributor
    assert list(Notification.objects.values_list("recipient__email", flat=True)) == ["contributor@example.com"]


def test_editing_keeps_a_link_to_a_post_the_editor_cannot_see(client, personas: Personas) -> None:
    hidden_account = make_account(personas.workspace, "@secret@mastodon.example")
    post = _post(personas, "Secret launch", account=hidden_account)
    task = _task(personas, "Check the launch", post=post)
    _hide_account(personas, personas.editor, hidden_account)
    client.force_login(personas.editor)
    url = _url(personas, "collaboration:task-edit", task.pk)
    page = client.get(url).content.decode()
    assert "Secret launch" not in page and "the link stays as it is" in page
    assert client.post(url, {"title": "Check the launch again"}).status_code == 302
    task.refresh_from_db()
    assert (task.title, task.post) == ("Check the launch again", post)


def test_another_workspaces_task_is_not_found(client, personas: Personas) -> None:
    theirs = task_save(membership=personas.other_workspace.memberships.get(), title="Theirs")
    client.force_login(personas.owner)
    assert client.get(_url(personas, "collaboration:task-edit", theirs.pk)).status_code == 404
    assert client.post(_url(personas, "collaboration:task-done", theirs.pk), {"done": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Task.Status.OPEN


# Done and undone -------------------------------------------------------------------------------
def test_marking_done_and_open_again_without_javascript_returns_to_the_list(client, personas: Personas) -> None:
    task = _task(personas, assignee=personas.owner)
    client.force_login(personas.contributor)
    back = _url(personas) + "?show=all&page=1"
    response = client.post(_url(personas, "collaboration:task-done", task.pk), {"done": "1", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.completed_at is not None
    response = client.post(_url(personas, "collaboration:task-done", task.pk), {"done": "0"})
    assert response["Location"] == _url(personas)
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and task.completed_at is None


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/", "/w/acme-oy/settings/"])
def test_marking_done_goes_back_only_to_the_task_list(client, personas: Personas, back: str) -> None:
    task = _task(personas, assignee=personas.owner)
    client.force_login(personas.owner)
    response = client.post(_url(personas, "collaboration:task-done", task.pk), {"done": "1", "next": back})
    assert response["Location"] == _url(personas)


def test_htmx_gets_the_row_and_the_new_navigation_count(client, personas: Personas) -> None:
    task = _task(personas, "Call the printer", assignee=personas.owner)
    _task(personas, "Another", assignee=personas.owner)
    client.force_login(personas.owner)
    response = client.post(
        _url(personas, "collaboration:task-done", task.pk), {"done": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith(f'<li class="list-group-item" id="task-{task.pk}">')
    assert 'name="done" value="0"' in fragment  # the button now opens it again
    assert "<html" not in fragment
    assert '<span id="open-tasks-badge" hx-swap-oob="true">' in fragment and "(1 open task for you)" in fragment


def test_a_viewer_may_complete_a_task_given_to_them_only(client, personas: Personas) -> None:
    theirs = _task(personas, "Read the plan", assignee=personas.viewer)
    others = _task(personas, "Someone else's", assignee=personas.editor)
    client.force_login(personas.viewer)
    page = client.get(_url(personas)).content.decode()
    assert _url(personas, "collaboration:task-done", theirs.pk) in page
    assert client.post(_url(personas, "collaboration:task-done", theirs.pk), {"done": "1"}).status_code == 302
    assert client.post(_url(personas, "collaboration:task-done", others.pk), {"done": "1"}).status_code == 403
    theirs.refresh_from_db()
    others.refresh_from_db()
    assert (theirs.status, others.status) == (Task.Status.DONE, Task.Status.OPEN)
    # ...and still may not change it.
    assert client.post(_url(personas, "collaboration:task-edit", theirs.pk), {"title": "Mine now"}).status_code == 403


# Navigation ------------------------------------------------------------------------------------
def test_the_navigation_shows_the_members_open_task_count(client, personas: Personas) -> None:
    client.force_login(personas.editor)
    dashboard = reverse("workspace-dashboard", args=[personas.workspace.slug])
    page = client.get(dashboard).content.decode()
    assert 'id="team-menu"' in page and _url(personas) in page and _url(personas, "collaboration:newsroom") in page
    assert "open task" not in page
    _task(personas, "One", assignee=personas.editor)
    _task(personas, "Two", assignee=personas.editor)
    task_set_done(task=_task(personas, "Done", assignee=personas.editor), done=True)
    _task(personas, "Someone else's", assignee=personas.admin)
    assert "(2 open tasks for you)" in client.get(dashboard).content.decode()


def test_a_task_assigned_to_a_digest_user_is_not_emailed_at_once(
    client, personas: Personas, django_capture_on_commit_callbacks
) -> None:
    NotificationPreference.objects.create(user=personas.editor, email=NotificationPreference.Email.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        _task(personas, "Later, by digest", assignee=personas.editor, due_on=date(2030, 5, 20))
    assert Notification.objects.filter(recipient=personas.editor).count() == 1
    assert mail.outbox == []
